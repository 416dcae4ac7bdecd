"""Credit risk models: feature derivation, scorecard training, the compiled scorer and decisions.

Pure Python: nothing here imports the web service or the database.
"""

import logging

# optbinning loads OR-Tools, whose bundled HiGHS shadows the symbols of the `highspy` wheel that
# cvxpy then tries to import; cvxpy logs the failed optional solver at ERROR on every start even
# though no riskdesk code path uses that solver. Keep that noise out of service and CLI output.
logging.getLogger("__cvxpy__").setLevel(logging.CRITICAL)
