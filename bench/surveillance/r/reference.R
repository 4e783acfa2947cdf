# Reference values from R's `surveillance` package for the series MHIS's detection tests use.
#
# Builds each test series exactly as the tests do, runs `farringtonFlexible` with the options
# MHIS's improved Farrington method follows (mhis.surveillance.detection.FarringtonSettings),
# and prints, for the current week: the expected count, the threshold (R's upperbound), the
# alarm, whether the trend was kept and the dispersion. The numbers are written into
# tests/test_surveillance_detection.py and tests/test_surveillance_corrections.py; the tests
# do not need R. Run: `make r-reference` (or `Rscript bench/surveillance/r/reference.R`).
#
# The series are weekly, 264 weeks (b = 5 years of 52 weeks, w = 3, and the current week),
# the current week 2026-W47 (Monday 2026-11-16), the first 2021-W44. MHIS counts a past year
# as 52 weeks back, as `farringtonFlexible` does on an sts without dates (freq = 52, the
# reference weeks `freq` steps back); the main runs use that. With `epochAsDate = TRUE` R
# takes calendar years instead (the same weekday nearest to the date 1..5 years back), which
# is 53 weeks back for some years: the last run shows what that changes.
#
# A week without a report is NA: R's algo.farrington.data.glm drops NA responses from the
# GLM's data ("weeks fitted" below: 237 baseline weeks less the NA ones).

suppressPackageStartupMessages(library(surveillance))

weeks <- 264L          # FarringtonSettings().history_needed() + 1
start <- c(2021, 44)   # ISO week of the first count; the current week is 2026-W47
mondays <- seq(as.Date("2026-11-16") - 7 * (weeks - 1), by = "1 week", length.out = weeks)
weeks_back <- (weeks - 1):0  # 263 ... 0, as in the tests

# The improved method (Noufaily et al. 2013) as MHIS runs it, in R's option names.
improved <- list(
  range = weeks, b = 5, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26,
  reweight = TRUE, weightsThreshold = 2.58, alpha = 0.005, trend = TRUE,
  pThresholdTrend = 0.05, limit54 = c(5, 4), thresholdMethod = "nbPlugin",
  populationOffset = FALSE, fitFun = "algo.farrington.fitGLM.flexible", glmWarnings = FALSE
)

# The model with the trend, before the no-extrapolation rule: what it predicts for the current
# week, its trend p-value (summary.glm's t test), and the baseline's largest count.
with_trend <- function(counts, control) {
  ns <- asNamespace("surveillance")
  data <- ns$algo.farrington.data.glm(
    dayToConsider = weeks, b = control$b, freq = 52, epochAsDate = FALSE, epochStr = "none",
    vectorOfDates = seq_len(weeks), w = control$w, noPeriods = control$noPeriods,
    observed = counts, population = rep(1, weeks), verbose = FALSE,
    pastWeeksNotIncluded = control$pastWeeksNotIncluded, k = weeks
  )
  model <- ns$algo.farrington.fitGLM.flexible(
    dataGLM = data, timeTrend = TRUE, populationOffset = FALSE, factorsBool = TRUE,
    reweight = TRUE, weightsThreshold = control$weightsThreshold, glmWarnings = FALSE,
    verbose = FALSE, control = control
  )
  pred <- predict.glm(model, newdata = data.frame(wtime = weeks, population = 1,
                      seasgroups = factor(control$noPeriods)), type = "response")
  # R's decision reads summary.glm(model) after the fit replaced model$weights (IRLS working
  # weights) by the prior weights: its dispersion is then sum(w (y - mu)^2 / mu^2) / df, not
  # Pearson's sum(w (y - mu)^2 / mu) / df. `p_pearson` is the same test with Pearson's.
  y <- data$response
  mu <- fitted(model)
  pearson <- sum(model$weights * (y - mu)^2 / mu) / model$df.residual
  list(rows = nrow(data), prediction = unname(pred),
       p = summary.glm(model)$coefficients["wtime", 4],
       p_pearson = summary.glm(model, dispersion = pearson)$coefficients["wtime", 4],
       largest = max(data$response))
}

show <- function(name, counts, changes = list(), dates = FALSE) {
  control <- modifyList(improved, changes)
  s <- if (dates) {
    sts(observed = matrix(counts, ncol = 1), epoch = mondays, epochAsDate = TRUE, frequency = 52)
  } else {
    sts(observed = matrix(counts, ncol = 1), start = start, frequency = 52)
  }
  r <- farringtonFlexible(s, control = control)
  cat(sprintf("== %s%s\n", name, if (length(changes)) paste0(" (",
      paste(names(changes), unlist(changes), sep = " = ", collapse = ", "), ")") else ""))
  cat(sprintf("   observed   %s\n", format(counts[weeks], digits = 17)))
  cat(sprintf("   expected   %s\n", format(r@control$expected[1, 1], digits = 17)))
  cat(sprintf("   threshold  %s   (upperbound)\n", format(upperbound(r)[1, 1], digits = 17)))
  cat(sprintf("   alarm      %s\n", alarms(r)[1, 1]))
  cat(sprintf("   trend      %s\n", r@control$trend[1, 1] == 1))
  cat(sprintf("   dispersion %s   (phiVector)\n", format(r@control$phiVector[1, 1], digits = 17)))
  if (!dates) {
    t <- with_trend(counts, control)
    cat(sprintf("   with the trend: prediction %s, baseline's largest %s, %d weeks fitted\n",
        format(t$prediction, digits = 17), format(t$largest, digits = 17), t$rows))
    cat(sprintf("   trend p-value %s as R decides (with Pearson's dispersion: %s)\n",
        format(t$p, digits = 6), format(t$p_pearson, digits = 6)))
  }
  invisible(r)
}

cat(R.version.string, "\n")
cat("surveillance", format(packageVersion("surveillance")), "\n\n")

# 1. The no-extrapolation series: 20·exp(−0.001·k) cases k weeks back, 30 this week.
# tests/test_surveillance_detection.py::test_the_no_extrapolation_rule_decides_the_alarm_as_r_does
rising <- 20 * exp(-0.001 * weeks_back)
rising[weeks] <- 30
show("no extrapolation: 20*exp(-0.001k), 30 now", rising)
show("no extrapolation: 20*exp(-0.001k), 30 now", rising, list(pThresholdTrend = 1))

# 2. The unreported weeks: 4 every week, 40 baseline weeks not reported, 11 this week.
# tests/test_surveillance_detection.py::test_an_unreported_week_is_left_out_of_the_fit_as_r_does
flat <- rep(4, weeks)
flat[weeks] <- 11
gaps <- c(11:30, 201:220)  # numpy's r_[10:30, 200:220], counted from 1
missing <- flat
missing[gaps] <- NA
show("unreported: 4 a week, 40 weeks NA, 11 now", missing)
zeros <- flat
zeros[gaps] <- 0
show("unreported counted as 0: 4 a week, 40 weeks 0, 11 now", zeros)

# 3. The seasonal series with holes: round(6 + 3 sin(2 pi t / 52)), weeks 30, 31, 150 not
# reported. tests/test_surveillance_corrections.py::
# test_the_improved_farrington_method_leaves_a_week_not_reported_out_of_its_fit
seasonal <- round(6 + 3 * sin(2 * pi * (0:(weeks - 1)) / 52))
holes <- seasonal
holes[c(31, 32, 151)] <- NA
show("seasonal with 3 weeks NA", holes)
holes0 <- seasonal
holes0[c(31, 32, 151)] <- 0
show("seasonal with the 3 weeks as 0", holes0)
show("seasonal with the 3 weeks as 0", holes0, list(pThresholdTrend = 1))

# 4. The condition setting's series: round(20·exp(−0.002·n)) n weeks back, 30 this week.
# tests/test_surveillance_method_options.py::test_the_no_extrapolation_rule_of_the_condition_decides_the_alert
dengue <- round(20 * exp(-0.002 * weeks_back))
dengue[weeks] <- 30
show("dengue: round(20*exp(-0.002n)), 30 now", dengue)

# 5. Calendar years instead of 52 weeks (sts with dates): R's reference weeks move, so its
# windows are no longer MHIS's. Not compared in the tests; shown for what it changes.
reference <- surveillance:::algo.farrington.referencetimepoints(
  as.Date("2026-11-16"), b = 5, freq = 52, epochAsDate = TRUE, epochStr = "week")
cat("\nWith epochAsDate = TRUE (Mondays of the ISO weeks) the same week of past years is",
    as.numeric(as.Date("2026-11-16") - reference[-1]) / 7, "weeks back (MHIS: 52 104 156 208 260)\n")
long <- 20 * exp(-0.001 * (300:0))  # series 1 over 301 weeks, so every window is inside
long[301] <- 30
dated <- sts(observed = matrix(long, ncol = 1), epochAsDate = TRUE, frequency = 52,
             epoch = seq(as.Date("2026-11-16") - 7 * 300, by = "1 week", length.out = 301))
r <- farringtonFlexible(dated, control = modifyList(improved, list(range = 301)))
cat(sprintf("series 1 with dates: expected %s, threshold %s, alarm %s, trend %s\n",
    format(r@control$expected[1, 1], digits = 17), upperbound(r)[1, 1], alarms(r)[1, 1],
    r@control$trend[1, 1] == 1))
