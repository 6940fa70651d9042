# Reference values for tests/test_effects_reference.py.
# Run from the repository root:  Rscript tests/reference/effects_reference.R
# Writes tests/reference/effects_reference.json. Uses base R (stats), metafor and jsonlite.
suppressMessages({library(metafor); library(jsonlite)})
out <- list(R_version = R.version.string,
            metafor_version = as.character(packageVersion("metafor")))

# exact noncentral-t limits by uniroot on pt(..., ncp=) over a wide bracket
ncp_ci <- function(t, df, level = 0.95) {
  a <- 1 - level
  f <- function(p) uniroot(function(x) pt(t, df, ncp = x) - p,
                           c(t - 60, t + 60), tol = 1e-13)$root
  c(f(1 - a / 2), f(a / 2))
}
J <- function(m) exp(lgamma(m / 2) - log(sqrt(m / 2)) - lgamma((m - 1) / 2))

# 1. Lakens (2013) movie example, 10 pairs (Table 1 ratings as reconstructed; they
#    reproduce every summary statistic the paper reports)
movie1 <- c(9, 7, 8, 9, 8, 9, 9, 10, 9, 9)
movie2 <- c(9, 6, 7, 8, 7, 9, 8, 8, 8, 7)
d <- movie1 - movie2; n <- length(d)
t <- mean(d) / (sd(d) / sqrt(n))
ci <- ncp_ci(t, n - 1) / sqrt(n)
r <- cor(movie1, movie2)
out$lakens <- list(
  post = movie1, pre = movie2, t = t, p = 2 * pt(-abs(t), n - 1),
  d_z = mean(d) / sd(d), d_z_ci = ci,
  d_av = mean(d) / ((sd(movie1) + sd(movie2)) / 2),
  d_rm = mean(d) / sd(d) * sqrt(2 * (1 - r)),
  r = r, sd_pre = sd(movie2), sd_post = sd(movie1), J9 = J(9))

# 1b. d_av and d_rm intervals: noncentral t with the Satterthwaite df of the standardizer
#     (the package's approximation, written out independently here to pin the arithmetic)
satt <- function(pre, post, kind, level = 0.95) {
  n <- length(pre); S <- cov(cbind(pre, post)); s11 <- S[1, 1]; s22 <- S[2, 2]; s12 <- S[1, 2]
  V <- matrix(c(2 * s11^2, 2 * s12^2, 2 * s11 * s12,
                2 * s12^2, 2 * s22^2, 2 * s22 * s12,
                2 * s11 * s12, 2 * s22 * s12, s11 * s22 + s12^2), 3, byrow = TRUE) / (n - 1)
  sd2 <- var(post - pre); r <- s12 / sqrt(s11 * s22)
  if (kind == "av") {
    s <- (sqrt(s11) + sqrt(s22)) / 2; g <- c(1 / (4 * sqrt(s11)), 1 / (4 * sqrt(s22)), 0)
  } else {
    s <- sqrt(sd2 / (2 * (1 - r)))
    g <- s / 2 * c(1 / sd2 - r / (2 * s11 * (1 - r)), 1 / sd2 - r / (2 * s22 * (1 - r)),
                   -2 / sd2 + 1 / (sqrt(s11 * s22) * (1 - r)))
  }
  vs <- drop(t(g) %*% V %*% g)
  nu <- min(max(s^2 / (2 * vs), n - 1), 2 * (n - 1))
  d <- mean(post - pre) / s; cc <- sqrt(sd2) / (sqrt(n) * s)
  list(d = d, nu = nu, J = J(nu), g = J(nu) * d, ci = ncp_ci(d / cc, nu, level) * cc)
}
out$lakens_av <- satt(movie2, movie1, "av")
out$lakens_rm <- satt(movie2, movie1, "rm")

# 2. two independent groups: metafor escalc SMD (exact J) + noncentral-t interval
y1 <- c(5.1, 6.3, 4.8, 7.2, 5.9, 6.6, 5.4, 6.1)
y0 <- c(4.2, 5.0, 3.9, 5.6, 4.4, 5.3, 4.9, 4.1, 5.2, 4.6)
es <- escalc(measure = "SMD", m1i = mean(y1), sd1i = sd(y1), n1i = length(y1),
             m2i = mean(y0), sd2i = sd(y0), n2i = length(y0))
sp <- sqrt(((length(y1) - 1) * var(y1) + (length(y0) - 1) * var(y0)) /
           (length(y1) + length(y0) - 2))
dd <- (mean(y1) - mean(y0)) / sp
k <- sqrt(1 / length(y1) + 1 / length(y0))
tt <- t.test(y1, y0, var.equal = TRUE)
out$two_group <- list(y1 = y1, y0 = y0, g = as.numeric(es$yi), vi = as.numeric(es$vi),
                      d = dd, ci = ncp_ci(dd / k, length(y1) + length(y0) - 2) * k,
                      t = unname(tt$statistic), p = tt$p.value,
                      welch_ci = as.numeric(t.test(y1, y0)$conf.int))

# 3. Morris (2008) Table 5 studies (data as in metafor's analysis example morris2008):
#    d_ppc2 with exact c_P and Morris' eq. 25 variance written out independently here
mT <- data.frame(m_pre = c(30.6, 23.5, 0.5, 53.4, 35.6), m_post = c(38.5, 26.8, 0.7, 75.9, 36.0),
                 sd_pre = c(15.0, 3.1, 0.1, 14.5, 4.7), n = c(20, 50, 9, 10, 14))
mC <- data.frame(m_pre = c(23.1, 24.9, 0.6, 55.7, 34.8), m_post = c(19.7, 25.3, 0.6, 60.7, 33.4),
                 sd_pre = c(13.8, 4.1, 0.2, 17.3, 3.1), n = c(20, 42, 9, 11, 14))
rho <- c(.47, .64, .77, .89, .44)
N <- mT$n + mC$n
sdp <- sqrt(((mT$n - 1) * mT$sd_pre^2 + (mC$n - 1) * mC$sd_pre^2) / (N - 2))
cp <- metafor:::.cmicalc(N - 2)
dppc2 <- cp * ((mT$m_post - mT$m_pre) - (mC$m_post - mC$m_pre)) / sdp
a <- 2 * (1 - rho) * N / (mT$n * mC$n)
v25 <- cp^2 * a * (N - 2) / (N - 4) * (1 + dppc2^2 / a) - dppc2^2
out$morris <- list(treatment = mT, control = mC, rho = rho, d_ppc2 = dppc2, var_eq25 = v25,
                   cp = cp)

# 4. noncentral-t limits at harder inputs (R's pt with ncp, uniroot)
# R documents pt(ncp=) as inaccurate for ncp > 37.62, so the cases stay below that
cases <- rbind(c(15, 5), c(-12, 3), c(8, 200), c(0.2, 2), c(25, 40), c(-3, 1000))
out$ncp <- lapply(seq_len(nrow(cases)), function(i) {
  list(t = cases[i, 1], df = cases[i, 2], ci95 = ncp_ci(cases[i, 1], cases[i, 2]),
       ci90 = ncp_ci(cases[i, 1], cases[i, 2], 0.90))
})

# 5. correlation with Fisher-z interval (cor.test)
x <- c(3.1, 3.9, 4.2, 3.5, 2.8, 4.6, 3.3, 4.0, 3.7, 4.4, 2.9, 3.6)
y <- c(3.4, 3.6, 4.5, 3.2, 3.1,4.1,3.8, 4.3,3.5, 4.6, 3.3, 3.2)
ct <- cor.test(x, y)
out$cor <- list(x = x, y = y, r = unname(ct$estimate), ci = as.numeric(ct$conf.int))

# 6. one-way ANOVA ICC(1)/ICC(2) with unequal group sizes (anova on lm)
yy <- c(4.1, 3.8, 4.4, 3.2, 3.5, 3.0, 3.6, 4.8, 4.5, 4.9, 4.2, 2.9, 3.3, 3.9, 3.1, 3.7, 4.0)
gg <- factor(c(1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 5, 5))
av <- anova(lm(yy ~ gg))
msb <- av[1, "Mean Sq"]; msw <- av[2, "Mean Sq"]
ni <- table(gg); Nt <- sum(ni); G <- length(ni)
k0 <- (Nt - sum(ni^2) / Nt) / (G - 1)
out$icc <- list(y = yy, g = as.integer(gg), icc1 = (msb - msw) / (msb + (k0 - 1) * msw),
                icc2 = (msb - msw) / msb)

write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
      "tests/reference/effects_reference.json")
