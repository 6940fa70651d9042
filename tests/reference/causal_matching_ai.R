# Abadie-Imbens (2006) standard error of the matching ATT with replacement, from R Matching,
# for tests/test_causal_reference.py. Run from the repository root:
#   Rscript tests/reference/causal_matching_ai.R   (writes causal_matching_ai.json)
# Needs MatchIt (4.5.x), Matching (4.10-x), jsonlite; data: MatchIt::lalonde (the rows of
# tests/reference/causal_lalonde.csv).
#
# The matched set is MatchIt's 1:1 nearest neighbour with replacement on the logit of the
# propensity score (general routine on the matrix of absolute distance differences, as in
# causal_reference.R). Matching::Match() on the same score would keep every tied control
# (ties = TRUE; lalonde has duplicated scores), so its own matched set differs; the matched
# pairs are therefore handed to Match() through `match.out`, and Match() computes the
# Abadie-Imbens SE (population ATT; M = 1; BiasAdjust = FALSE) for exactly those pairs.
# sample = TRUE: the SE of the sample ATT (conditional on the covariates), without the
# variance of the treatment effect across treated people.
# Var.calc = 1: conditional variances from the nearest same-arm neighbour on the score
# (heteroskedasticity-robust); Var.calc = 0 (Match's default): constant variance.
suppressPackageStartupMessages({library(MatchIt); library(Matching); library(jsonlite)})
data("lalonde", package = "MatchIt")
d <- lalonde
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
ps_glm <- glm(f, data = d, family = binomial())
one <- function(link, ratio = 1) {
  dist <- if (link == "ps") fitted(ps_glm) else predict(ps_glm, type = "link")
  o <- order(dist, decreasing = TRUE, method = "radix")
  dd <- d[o, ]; ds <- dist[o]
  D <- abs(outer(ds[dd$treat == 1], ds[dd$treat == 0], "-"))
  m <- matchit(f, data = dd, method = "nearest", distance = D, m.order = "data",
               replace = TRUE, ratio = ratio)
  mm <- m$match.matrix
  pos <- setNames(seq_len(nrow(d)), rownames(d))   # row numbers in the original data
  I <- integer(0); IM <- integer(0); W <- numeric(0); sets <- list()
  for (i in seq_len(nrow(mm))) {
    ctrl <- mm[i, ]; ctrl <- ctrl[!is.na(ctrl)]
    sets[[rownames(mm)[i]]] <- unname(ctrl)
    I <- c(I, rep(pos[rownames(mm)[i]], length(ctrl))); IM <- c(IM, pos[ctrl])
    W <- c(W, rep(1 / length(ctrl), length(ctrl)))
  }
  mo <- structure(list(MatchLoopC = cbind(I, IM, W, I, IM)), class = "Match")
  fit <- function(vc, sample = FALSE) Match(Y = d$re78, Tr = d$treat, X = dist, estimand = "ATT",
                            M = ratio, replace = TRUE, Var.calc = vc, match.out = mo,
                            distance.tolerance = 0, sample = sample)
  a <- fit(1); b <- fit(0); s <- fit(1, sample = TRUE)
  list(treated = names(sets), matches = unname(sets),
       att = as.numeric(a$est), se_ai_varcalc1 = a$se, se_ai_varcalc0 = b$se,
       se_ai_varcalc1_sample = s$se, se_standard = a$se.standard,
       call = sprintf(paste0("matchit(f, distance = |outer(%s)|, m.order = 'data', replace = TRUE, ratio = %d) on data sorted by decreasing score; ",
                             "Match(Y = re78, Tr = treat, X = %s, estimand = 'ATT', M = %d, replace = TRUE, Var.calc = 1 or 0, sample = FALSE or TRUE, match.out = <those pairs>)"),
                      link, ratio, link, ratio))
}
out <- list(provenance = list(R = R.version.string, MatchIt = as.character(packageVersion("MatchIt")),
                              Matching = as.character(packageVersion("Matching")),
                              formula = deparse(f), data = "MatchIt::lalonde (614 rows)"),
            replace_logit = one("logit"), replace_ps = one("ps"), replace_ratio2_logit = one("logit", 2))
write_json(out, "tests/reference/causal_matching_ai.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
