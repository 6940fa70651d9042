# Export of the Kansas tax-cut panel shipped by the R augsynth package (Ben-Michael, Feller &
# Rothstein 2021), used to check timeseries.synthetic_control(method="augmented") against the
# numbers printed in the package's vignette (vignettes/singlesynth-vignette.md).
#
# Source: https://github.com/ebenmichael/augsynth, file data/kansas.rda
#   repository snapshot f942957c7a91febbbdcdee11347d221b177128c6 (2026-05-20),
#   last commit touching the file bf0ecef160dfbbd417b63dcff1e557e720a87646; licence MIT.
# R 4.2.2; base R only (load + write.csv). augsynth itself is not installed here (no CRAN):
# only its data file is read.
load("kansas.rda")
out <- as.data.frame(kansas[, c("fips", "state", "year_qtr", "treated", "lngdpcapita")])
out$lngdpcapita <- sprintf("%.17g", out$lngdpcapita)
write.csv(out, "timeseries_kansas.csv", row.names = FALSE, quote = FALSE)
