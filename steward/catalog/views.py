from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Steward")


dataset_list = dataset_detail = language_list = organization_detail = home
