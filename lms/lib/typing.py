"""Type aliases shared by modules that pass translatable strings around."""

from django.utils.functional import Promise

# A Dutch string from gettext_lazy (a Promise) or an already translated str.
StrOrPromise = str | Promise
