"""Events about accounts that other apps follow (receivers connected in their apps.py).

- `register_numbers_changed` → `records.registers.on_register_numbers_changed`: the staff
  overview's stored verdicts of those learners. Sent by `RegisterNumber.objects.update()` and
  `bulk_create()`, which skip post_save (a single save or delete sends Django's own signals).
"""

from django.dispatch import Signal

register_numbers_changed = Signal()  # user_ids: the learners whose numbers changed
