"""Building SCORM 1.2, SCORM 2004 and cmi5 packages of a course version (see builder.py)."""
