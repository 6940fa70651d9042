# Reference values for coachstats.effects.arm_contrasts and factorial.
# Run from the repository root:  Rscript tests/reference/arms_reference.R
# Data: tests/reference/arms_program.csv = coachstats.simulate.program_arms(rng=7)$data
suppressPackageStartupMessages(library(jsonlite))
d <- read.csv("tests/reference/arms_program.csv", stringsAsFactors = FALSE)
pairs <- list(c("both", "none"), c("coaching", "none"), c("mentoring", "none"),
              c("coaching", "both"), c("mentoring", "both"), c("mentoring", "coaching"))
out <- list()
for (y in c("change_360", "engagement", "readiness")) {
  p <- sapply(pairs, function(pr) t.test(d[d$arm == pr[1], y], d[d$arm == pr[2], y],
                                         var.equal = TRUE)$p.value)
  diff <- sapply(pairs, function(pr) mean(d[d$arm == pr[1], y]) - mean(d[d$arm == pr[2], y]))
  out[[y]] <- list(terms = sapply(pairs, paste, collapse = " vs "), raw_difference = diff,
                   p_value = p, holm = p.adjust(p, "holm"), bh = p.adjust(p, "BH"),
                   bonferroni = p.adjust(p, "bonferroni"))
}
fit <- lm(readiness ~ coaching * mentoring, data = d)
L <- rbind(coaching = c(0, 1, 0, 0), mentoring = c(0, 0, 1, 0),
           `coaching:mentoring` = c(0, 0, 0, 1), both_vs_neither = c(0, 1, 1, 1),
           coaching_averaged = c(0, 1, 0, 0.5), mentoring_averaged = c(0, 0, 1, 0.5))
est <- drop(L %*% coef(fit)); se <- sqrt(diag(L %*% vcov(fit) %*% t(L)))
out$factorial_readiness <- list(terms = rownames(L), estimate = unname(est),
                                std_error = unname(se),
                                p_value = unname(2 * pt(-abs(est / se), df.residual(fit))))
fit2 <- lm(change_360 ~ coaching * mentoring + engagement, data = d)  # a covariate
k <- c("(Intercept)", "coaching", "mentoring", "coaching:mentoring")
est2 <- drop(L %*% coef(fit2)[k]); se2 <- sqrt(diag(L %*% vcov(fit2)[k, k] %*% t(L)))
out$factorial_change_cov <- list(terms = rownames(L), estimate = unname(est2),
                                 std_error = unname(se2))
out$provenance <- list(R = R.version.string, calls = c(
  "t.test(y[arm == focal], y[arm == reference], var.equal = TRUE)$p.value",
  "p.adjust(p, 'holm' | 'BH' | 'bonferroni')",
  "lm(readiness ~ coaching * mentoring); L %*% coef(fit), sqrt(diag(L %*% vcov(fit) %*% t(L)))",
  "lm(change_360 ~ coaching * mentoring + engagement) (the covariate is centred in coachstats; the factor terms are unchanged)"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/arms_reference.json")
