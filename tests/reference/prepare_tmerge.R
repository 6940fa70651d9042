# Reference for coachstats.prepare.episodes (tests/test_prepare_episodes.py).
# Run from this folder: Rscript prepare_tmerge.R
# Writes prepare_tmerge_input.csv (one row per person: follow-up in months, event code, the
# month coaching started, blank if never) and prepare_tmerge_output.csv (survival::tmerge).
library(survival)
set.seed(14)
n <- 60
d <- data.frame(id = sprintf("E%03d", 1:n),
                months = round(runif(n, 1, 36), 2),
                event = sample(c(0L, 1L, 2L), n, replace = TRUE, prob = c(.5, .3, .2)),
                coached_month = round(runif(n, 0, 30), 2))
d$coached_month[sample(n, 20)] <- NA          # never coached
# edge cases: coaching at the origin, exactly at the end of follow-up, after it, at an integer
edge <- data.frame(id = c("X01", "X02", "X03", "X04", "X05"),
                   months = c(12, 12, 12, 24, 6.5),
                   event = c(1L, 1L, 0L, 2L, 1L),
                   coached_month = c(0, 12, 15, 6, NA))
d <- rbind(d, edge)
write.csv(d, "prepare_tmerge_input.csv", row.names = FALSE, na = "")
base <- d[, c("id", "months", "event")]
tm <- tmerge(base, base, id = id, status = event(months, event))
tm <- tmerge(tm, d, id = id, coached = tdc(coached_month))
tm$coached[is.na(tm$coached)] <- 0  # tdc gives NA before the first change when no initial value
out <- tm[, c("id", "tstart", "tstop", "status", "coached")]
names(out) <- c("id", "start", "stop", "event", "coached")
write.csv(out, "prepare_tmerge_output.csv", row.names = FALSE)
cat(R.version.string, "survival", as.character(packageVersion("survival")), "\n",
    file = "prepare_tmerge_provenance.txt")
cat("tmerge(base, base, id = id, status = event(months, event)); tmerge(tm, d, id = id, coached = tdc(coached_month)); NA coached before the first change -> 0\n",
    file = "prepare_tmerge_provenance.txt", append = TRUE)
