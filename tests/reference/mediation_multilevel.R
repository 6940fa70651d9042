# Reference values for coachstats.effects.multilevel_mediation (2-2-1 and 2-1-1 designs):
# the a-path and b-path models fitted by maximum likelihood in lme4 (REML = FALSE).
# Run from the repository root:  Rscript tests/reference/mediation_multilevel.R
#
# Data (committed beside this script):
#   mediation_multilevel_221.csv = coachstats.simulate.leader_mediation(60, team_size=8,
#       design="2-2-1", rng=2201).data, then rows kept where
#       numpy.random.default_rng(2201).random(n_rows) > 0.3 (unequal teams of 3 to 8)
#   mediation_multilevel_211.csv = the same with design="2-1-1" and seed 2111 (teams of 2-8)
#
# 2-2-1: the mediator is one value per manager, so the a-path is a manager-level regression
#   (lm on one row per manager; no random effect to fit; its ML residual SD is stored too).
# 2-1-1: the mediator varies within teams; it is split into the team mean (between) and the
#   deviation from it (within), both entered in the outcome model (Zhang, Zyphur & Preacher
#   2009).
suppressPackageStartupMessages({library(lme4); library(jsonlite)})

fix <- function(m) {
  s <- summary(m)$coefficients
  setNames(lapply(rownames(s), function(r) list(est = unname(s[r, 1]), se = unname(s[r, 2]))),
           rownames(s))
}
vc <- function(m) {
  v <- as.data.frame(VarCorr(m))
  list(cluster_sd = v$sdcor[v$grp == "manager"], residual_sd = v$sdcor[v$grp == "Residual"])
}

d <- read.csv("tests/reference/mediation_multilevel_221.csv")
teams <- d[!duplicated(d$manager), ]
a221 <- lm(coaching_behaviour ~ coached + experience, data = teams)
b221 <- lmer(engagement ~ coached + coaching_behaviour + experience + (1 | manager),
             data = d, REML = FALSE)
a221_ml_sd <- sqrt(sum(residuals(a221)^2) / nrow(teams))

e <- read.csv("tests/reference/mediation_multilevel_211.csv")
e$m_between <- ave(e$coaching_behaviour, e$manager)
e$m_within <- e$coaching_behaviour - e$m_between
a211 <- lmer(coaching_behaviour ~ coached + experience + (1 | manager), data = e, REML = FALSE)
b211 <- lmer(engagement ~ coached + m_between + m_within + experience + (1 | manager),
             data = e, REML = FALSE)

out <- list(
  provenance = list(
    r_version = R.version.string,
    lme4_version = as.character(packageVersion("lme4")),
    calls = c(
      "lm(coaching_behaviour ~ coached + experience, data = one row per manager)  # 2-2-1 a",
      "lmer(engagement ~ coached + coaching_behaviour + experience + (1 | manager), REML = FALSE)  # 2-2-1 b",
      "lmer(coaching_behaviour ~ coached + experience + (1 | manager), REML = FALSE)  # 2-1-1 a",
      "lmer(engagement ~ coached + m_between + m_within + experience + (1 | manager), REML = FALSE)  # 2-1-1 b"
    )),
  d221 = list(
    n = nrow(d), n_clusters = nrow(teams),
    a_path = list(coef = fix(a221), residual_sd_ml = a221_ml_sd,
                  residual_sd_lm = summary(a221)$sigma),
    b_path = list(coef = fix(b221), vc = vc(b221), loglik = as.numeric(logLik(b221)))),
  d211 = list(
    n = nrow(e), n_clusters = length(unique(e$manager)),
    a_path = list(coef = fix(a211), vc = vc(a211), loglik = as.numeric(logLik(a211))),
    b_path = list(coef = fix(b211), vc = vc(b211), loglik = as.numeric(logLik(b211))))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = 15, pretty = TRUE),
           "tests/reference/mediation_multilevel.json")
