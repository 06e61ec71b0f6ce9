"""Reports: the scope of a run, the CSV/XLSX/PDF writers, runs and their generation,
schedules and the changes since a schedule's previous run."""
