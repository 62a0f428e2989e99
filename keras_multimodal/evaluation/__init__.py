"""Evaluation: metrics with bootstrap CIs, plots and the run report.

Pure numpy/pandas/scikit-learn; matplotlib is imported only when plotting.
"""

from keras_multimodal.evaluation.metrics import (
    bootstrap_ci,
    choose_threshold,
    compute_metrics,
    lower_is_better,
    main_metric,
)
from keras_multimodal.evaluation.plots import (
    plot_confusion_matrix,
    plot_model_comparison,
    plot_pr,
    plot_residuals,
    plot_roc,
    plot_training_curves,
)
from keras_multimodal.evaluation.report import write_report

__all__ = [
    "bootstrap_ci",
    "choose_threshold",
    "compute_metrics",
    "lower_is_better",
    "main_metric",
    "plot_confusion_matrix",
    "plot_model_comparison",
    "plot_pr",
    "plot_residuals",
    "plot_roc",
    "plot_training_curves",
    "write_report",
]
