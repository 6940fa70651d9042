# Reference values for coachstats.survival.fine_gray, pinned in survival_finegray.json.
# Run from tests/reference/:   Rscript survival_finegray.R
# Data: survival::mgus2 as exported by survival_reference.R (survival_mgus2.csv: etime,
# event = pcm | death | censor, age, sex), and the same data with times rounded to years
# (many ties).
library(cmprsk)
library(jsonlite)
mg <- read.csv("survival_mgus2.csv")
X <- cbind(age = mg$age, male = as.integer(mg$sex == "M"))
f1 <- crr(mg$etime, mg$event, X, failcode = "pcm", cencode = "censor")
f2 <- crr(mg$etime, mg$event, X, failcode = "death", cencode = "censor")
yr <- ceiling(mg$etime / 12)
f3 <- crr(yr, mg$event, X, failcode = "pcm", cencode = "censor")
pack <- function(f, call) list(call = call, coef = unname(f$coef),
                               se = unname(sqrt(diag(f$var))), loglik = f$loglik,
                               loglik_null = f$loglik.null, n = f$n)
out <- list(
  provenance = list(R = R.version.string, cmprsk = as.character(packageVersion("cmprsk")),
                    script = "tests/reference/survival_finegray.R",
                    data = "survival::mgus2 (survival_mgus2.csv)"),
  pcm = pack(f1, "crr(etime, event, cbind(age, male = sex == 'M'), failcode = 'pcm', cencode = 'censor')"),
  death = pack(f2, "crr(etime, event, cbind(age, male), failcode = 'death', cencode = 'censor')"),
  pcm_years = pack(f3, "crr(ceiling(etime / 12), event, cbind(age, male), failcode = 'pcm', cencode = 'censor')"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "survival_finegray.json")
