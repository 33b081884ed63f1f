from ninja import Schema


class MembershipOut(Schema):
    slug: str
    name: str
    role: str


class MeOut(Schema):
    username: str
    email: str
    organizations: list[MembershipOut]
