"""From Logistic Regression to MLPs: the NumPy teaching package."""
