from django.urls import path

from . import views

app_name = "organizations"

# Mounted at the site root before the catalogue, whose organizations/<slug> is the public
# page; the fixed names here are reserved slugs (models.RESERVED_SLUGS).
urlpatterns = [
    path("organizations/apply", views.apply, name="apply"),
    path("organizations/mine", views.mine, name="mine"),
    path("organizations/invitations/<str:token>", views.invitation, name="invitation"),
    path("organizations/<slug:slug>/members", views.members, name="members"),
    path(
        "organizations/<slug:slug>/members/<str:username>/role",
        views.member_role,
        name="member-role",
    ),
    path(
        "organizations/<slug:slug>/members/<str:username>/guardian",
        views.member_guardian,
        name="member-guardian",
    ),
    path(
        "organizations/<slug:slug>/members/<str:username>/remove",
        views.member_remove,
        name="member-remove",
    ),
    path("organizations/<slug:slug>/leave", views.leave, name="leave"),
    path("organizations/<slug:slug>/audit", views.audit, name="audit"),
    path("staff/organizations", views.review_list, name="review-list"),
    path("staff/organizations/<slug:slug>", views.review_detail, name="review-detail"),
    path("staff/organizations/<slug:slug>/approve", views.review_approve, name="review-approve"),
    path("staff/organizations/<slug:slug>/reject", views.review_reject, name="review-reject"),
]
