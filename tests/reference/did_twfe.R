# Reference values for the TWFE estimators on mpdta (tests/reference/did_mpdta.csv).
# Base R only (R >= 4.0). Run: Rscript tests/reference/did_twfe.R
# SE convention pinned ("CR1", as Stata xtreg, fe vce(cluster)): G/(G-1) * (N-1)/(N-K),
# K = slope coefficients + number of years (year dummies and intercept); county effects are
# nested in the county clusters and not counted.
d <- read.csv("tests/reference/did_mpdta.csv")
d$D <- as.numeric(d$first.treat > 0 & d$year >= d$first.treat)
cr1 <- function(fit, slopes, cluster) {
  X <- model.matrix(fit)
  u <- resid(fit)
  XtXi <- solve(crossprod(X))
  S <- rowsum(X * u, cluster)
  V <- XtXi %*% crossprod(S) %*% XtXi
  G <- length(unique(cluster)); N <- nrow(X); K <- length(slopes) + length(unique(d$year))
  V <- V * G / (G - 1) * (N - 1) / (N - K)
  sqrt(diag(V)[slopes])
}
fit <- lm(lemp ~ D + factor(countyreal) + factor(year), data = d)
cat(sprintf("twfe_estimate %.10f\ntwfe_se_cr1 %.10f\n", coef(fit)["D"],
            cr1(fit, "D", d$countyreal)))
# event study, window (-4, 4) with binned end points, reference -1
e <- ifelse(d$first.treat > 0, d$year - d$first.treat, NA)
e <- pmin(pmax(e, -4), 4)
lev <- c(-4, -3, -2, 0, 1, 2, 3)
for (k in lev) d[[paste0("e", k + 10)]] <- as.numeric(!is.na(e) & e == k)
nm <- paste0("e", lev + 10)
fit2 <- lm(as.formula(paste("lemp ~", paste(nm, collapse = "+"),
                            "+ factor(countyreal) + factor(year)")), data = d)
se2 <- cr1(fit2, nm, d$countyreal)
for (i in seq_along(lev)) cat(sprintf("event_time[%d] %.10f %.10f\n", lev[i],
                                      coef(fit2)[nm[i]], se2[i]))
# 2x2: cohort 2004 vs never treated, 2003 vs 2004, HC1 and CR1 by county
s <- subset(d, year <= 2004 & first.treat %in% c(0, 2004))
s$g <- as.numeric(s$first.treat == 2004); s$p <- as.numeric(s$year == 2004)
fit3 <- lm(lemp ~ g * p, data = s)
X <- model.matrix(fit3); u <- resid(fit3); XtXi <- solve(crossprod(X)); N <- nrow(X)
hc1 <- sqrt(diag(XtXi %*% crossprod(X * u) %*% XtXi) * N / (N - 4))["g:p"]
S <- rowsum(X * u, s$countyreal); G <- nrow(S)
cr <- sqrt(diag(XtXi %*% crossprod(S) %*% XtXi) * G / (G - 1) * (N - 1) / (N - 4))["g:p"]
cat(sprintf("two_by_two %.10f hc1 %.10f cr1 %.10f\n", coef(fit3)["g:p"], hc1, cr))
cat(R.version.string, "\n")
