"""Worksheet import: CSV or XLSX in the sample worksheet's column layout, or in the
register's own export layout (so that export → import round-trips).

reading    bytes → a table of cells, refusing what is not a UTF-8 CSV or a real XLSX
columns    the header: which columns (`registry.columns`) are required, optional or
           only informative
validation every row checked first; problems carry row number, column and message
service    the plan (what would be created) and the all-or-nothing write
jobs       the WorksheetImport row: inline for small uploads, stored for the task otherwise
tasks      the Celery task, queued by the interface that received the upload
"""
