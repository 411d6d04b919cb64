"""The learner's path, one module per area: catalog, player, quizzes, certificates.

Function views; every learner view is login_required and reads through a `get_<obj>_for_user()`
helper (`access.py`) that answers 404 for anything that is not the learner's own. Workflows go
through `courses.services`; these views only translate HTTP to service calls and back.
"""
