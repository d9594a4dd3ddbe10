"""Layer ``report``: CSV tables, summary.json, plots and a self-contained HTML report."""

from rtmcim.report.build import Report, build_report
from rtmcim.report.results import Results, load_results, pareto_points
from rtmcim.report.tables import design_figures

__all__ = ["Report", "Results", "build_report", "design_figures", "load_results", "pareto_points"]
