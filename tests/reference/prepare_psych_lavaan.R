# Reference values for coachstats.prepare.scale (tests/test_prepare_scale.py).
# Run from this folder: Rscript prepare_psych_lavaan.R
# Data: the Agreeableness items A1-A5 of psych::bfi (2,800 people, 1-6 scale, A1 reverse-worded,
# with blanks), written to prepare_bfi_agree.csv so the tests need no R.
library(psych)
library(lavaan)
library(jsonlite)

x <- bfi[, c("A1", "A2", "A3", "A4", "A5")]
write.csv(x, "prepare_bfi_agree.csv", row.names = FALSE, na = "")

one <- function(a) {
  list(
    raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
    feldt_low = a$feldt$lower.ci$raw_alpha, feldt_high = a$feldt$upper.ci$raw_alpha,
    item_rest = setNames(as.list(a$item.stats$r.drop), colnames(x)),
    alpha_if_deleted = setNames(as.list(a$alpha.drop$raw_alpha), colnames(x)),
    n_obs = nrow(a$scores %||% x)
  )
}
`%||%` <- function(a, b) if (is.null(a)) b else a

# psych::alpha uses pairwise covariances by default ("pairwise"); complete cases via na.omit.
pairwise <- alpha(x, keys = c("A1"))
cc <- na.omit(x)
complete <- alpha(cc, keys = c("A1"))

# omega total from a one-factor CFA fitted by maximum likelihood (lavaan), A1 reversed (7 - A1)
cc_rev <- cc
cc_rev$A1 <- 7 - cc_rev$A1
fit <- cfa("f =~ A1 + A2 + A3 + A4 + A5", data = cc_rev, std.lv = TRUE, estimator = "ML")  # default control
pe <- parameterEstimates(fit)
lam <- pe$est[pe$op == "=~"]
theta <- pe$est[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs != "f"]
omega <- sum(lam)^2 / (sum(lam)^2 + sum(theta))

# scores: mean of the answered items after reversing A1 (no imputation)
sc <- scoreItems(keys = list(agree = c("-A1", "A2", "A3", "A4", "A5")), items = x,
                 min = 1, max = 6, impute = "none", totals = FALSE)

out <- list(
  provenance = list(
    r = R.version.string, psych = as.character(packageVersion("psych")),
    lavaan = as.character(packageVersion("lavaan")),
    data = "psych::bfi[, c('A1','A2','A3','A4','A5')] (prepare_bfi_agree.csv)",
    calls = c(
      "psych::alpha(x, keys = 'A1')  # pairwise (psych default)",
      "psych::alpha(na.omit(x), keys = 'A1')  # complete cases",
      "lavaan::cfa('f =~ A1 + A2 + A3 + A4 + A5', data = na.omit(x) with A1 -> 7 - A1, std.lv = TRUE, estimator = 'ML'); omega = sum(lambda)^2 / (sum(lambda)^2 + sum(theta))",
      "psych::scoreItems(keys = list(agree = c('-A1','A2','A3','A4','A5')), items = x, min = 1, max = 6, impute = 'none', totals = FALSE)"
    )
  ),
  n_complete = nrow(cc),
  pairwise = one(pairwise),
  complete = one(complete),
  omega_total = omega,
  loadings = lam, uniquenesses = theta,
  scores = as.numeric(sc$scores[, 1])
)
out$pairwise$n_obs <- nrow(x)
out$complete$n_obs <- nrow(cc)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "prepare_psych_lavaan.json")
