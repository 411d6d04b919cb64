"""`{% registration_warnings course %}`: tell the learner, before the final test, what would keep
their accreditation points from being registered (scorm_export.registers.registration_warnings)."""

from django import template

from scorm_export.registers import registration_warnings as compute_warnings

register = template.Library()


@register.inclusion_tag("scorm_export/_registration_warnings.html", takes_context=True)
def registration_warnings(context, course, profile_url=""):
    """Usage: {% load registers_tags %}{% registration_warnings course profile_url=... %}.

    Renders nothing for anonymous visitors, courses without accreditation, or when all is in order.
    """
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    warnings = compute_warnings(user, course) if user is not None else []
    return {"warnings": warnings, "profile_url": profile_url}
