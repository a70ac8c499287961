"""The annual export of a frozen evaluation: an Excel workbook, a self-contained HTML report and
meta.json under exports/<year>/ (`python -m pipelines export --year Y`, or the `annual_export`
asset). One reader (frames.py) feeds both writers (excel.py, report.py); run.py orchestrates."""
