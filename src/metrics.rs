//! Binary classification metrics for `pneumoscan eval`, computed the same way as the
//! training pipeline (`training/train.py::metrics`).

use serde::Serialize;

/// Confusion matrix and summary figures at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Images scored.
    pub n: usize,
    /// (tp + tn) / n.
    pub accuracy: f64,
    /// Recall of the positive class, tp / (tp + fn).
    pub sensitivity: f64,
    /// Recall of the negative class, tn / (tn + fp).
    pub specificity: f64,
    /// tp / (tp + fp).
    pub precision: f64,
    /// Harmonic mean of precision and sensitivity.
    pub f1: f64,
    /// Area under the ROC curve (ties count one half).
    pub auc: f64,
    /// Positives called positive.
    pub tp: usize,
    /// Negatives called positive.
    pub fp: usize,
    /// Negatives called negative.
    pub tn: usize,
    /// Positives called negative.
    #[serde(rename = "fn")]
    pub fn_: usize,
}

/// Metrics for `(is_positive, probability)` pairs at `threshold` (probability >= threshold is positive).
pub fn compute(samples: &[(bool, f64)], threshold: f64) -> Metrics {
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for &(positive, p) in samples {
        match (positive, p >= threshold) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let sensitivity = ratio(tp, tp + fn_);
    let precision = ratio(tp, tp + fp);
    let f1 = if precision + sensitivity > 0.0 {
        2.0 * precision * sensitivity / (precision + sensitivity)
    } else {
        0.0
    };
    Metrics {
        n: samples.len(),
        accuracy: ratio(tp + tn, samples.len()),
        sensitivity,
        specificity: ratio(tn, tn + fp),
        precision,
        f1,
        auc: auc(samples),
        tp,
        fp,
        tn,
        fn_,
    }
}

/// ROC AUC by the Mann-Whitney statistic, with average ranks for ties.
fn auc(samples: &[(bool, f64)]) -> f64 {
    let positives = samples.iter().filter(|s| s.0).count();
    let negatives = samples.len() - positives;
    if positives == 0 || negatives == 0 {
        return f64::NAN;
    }
    let mut sorted: Vec<(f64, bool)> = samples.iter().map(|&(y, p)| (p, y)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == sorted[i].0 {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += average_rank * sorted[i..=j].iter().filter(|s| s.1).count() as f64;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_matrix_and_ratios() {
        let samples = [
            (true, 0.9),
            (true, 0.4),
            (false, 0.6),
            (false, 0.1),
            (true, 0.7),
        ];
        let m = compute(&samples, 0.5);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (2, 1, 1, 1));
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        assert!((m.sensitivity - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.specificity - 0.5).abs() < 1e-12);
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn auc_counts_pairs_and_halves_ties() {
        // Pairs (pos, neg): (0.9,0.6) win, (0.9,0.1) win, (0.4,0.6) loss, (0.4,0.1) win,
        // (0.6,0.6) tie, (0.6,0.1) win → 4.5 of 6.
        let samples = [
            (true, 0.9),
            (true, 0.4),
            (true, 0.6),
            (false, 0.6),
            (false, 0.1),
        ];
        assert!((compute(&samples, 0.5).auc - 4.5 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn auc_is_undefined_for_one_class() {
        assert!(compute(&[(true, 0.9)], 0.5).auc.is_nan());
    }
}
