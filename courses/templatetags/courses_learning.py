from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ question.ranks|get_item:option.pk }}`: look up a variable key; None when absent."""
    if not mapping:
        return None
    return mapping.get(key)
