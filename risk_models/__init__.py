"""Credit risk models: feature derivation, scorecard training, the compiled scorer and decisions.

Pure Python: nothing here imports the web service or the database.
"""

import logging


def _drop_highs_import_error(record: logging.LogRecord) -> bool:
    # optbinning loads OR-Tools, whose bundled HiGHS shadows the symbols of the `highspy` wheel
    # that cvxpy then tries to import; cvxpy logs that optional solver's failure at ERROR on every
    # start although no riskdesk code path uses it. A filter, not a level: cvxpy resets its
    # logger's level when it is imported.
    return "importing solver HIGHS" not in record.getMessage()


logging.getLogger("__cvxpy__").addFilter(_drop_highs_import_error)
