"""Reports: what a run covers and the figures it shows, the writers, runs and their
generation, schedules, and the changes since a schedule's previous run.

scope      the failure modes a run or schedule covers
data       the figures a report shows for its scope
context    what every writer receives
writers/   csv, xlsx and pdf (theme, document, sections, worksheet)
charts     the SVG charts of the web pages and the PDF; palette their colours
runs       requesting a run and generating it exactly once
schedules  firing a schedule: a run, then one email
changes    what changed since a schedule's previous run
retention  pruning old runs and their files
tasks      the Celery tasks (callers queue them; the modules above never import them)
"""
