//! JPEG-LS context modeling (statistical accumulators for adaptive Golomb-Rice coding).
//!
//! Port of CharLS `context.h` and `ctxtrmod.h`.

/// Context for regular (non-run) mode.
///
/// Each context stores running statistics used to compute the Golomb parameter
/// and prediction correction (bias C).
#[derive(Debug, Clone)]
pub struct JlsContext {
    /// Accumulated |error| (magnitude).
    pub a: i32,
    /// Accumulated error (signed, used for bias).
    pub b: i32,
    /// Prediction correction (bias).
    pub c: i8,
    /// Count (number of samples coded in this context).
    pub n: i16,
}

/// Lookup table for bias adjustment. Index = `B/N + 128` clamped to [0, 255].
/// The table maps the bias ratio to a correction increment of -1, 0, or +1.

impl JlsContext {
    /// Create a new context with initial values per the JPEG-LS standard.
    pub fn new(a_init: i32) -> Self {
        Self {
            a: a_init,
            b: 0,
            c: 0,
            n: 1,
        }
    }

    /// Compute the Golomb coding parameter k for this context.
    #[inline]
    pub fn get_golomb(&self) -> i32 {
        let mut k = 0;
        let mut ntest = self.n as i32;
        while ntest < self.a {
            k += 1;
            ntest <<= 1;
        }
        k
    }

    /// Get the error correction value for Golomb parameter k.
    /// The error correction of the regular mode (ISO/IEC 14495-1 A.6.1; CharLS
    /// `get_error_correction`): all ones (flip every bit of the error) when k is 0 and
    /// the bias is negative, else 0.
    #[inline]
    pub fn get_error_correction(&self, k: i32) -> i32 {
        if k != 0 {
            0
        } else {
            (2 * self.b + self.n as i32 - 1) >> 31
        }
    }

    /// Context update and bias correction (A.6.1, A.6.2): the halving at RESET comes
    /// before N is incremented, and C moves by one within [-128, 127].
    #[inline]
    pub fn update_variables(&mut self, err_val: i32, near: i32, reset_value: i32) {
        self.a += err_val.abs();
        self.b += err_val * (2 * near + 1);
        if self.n as i32 == reset_value {
            self.a >>= 1;
            self.b >>= 1;
            self.n >>= 1;
        }
        self.n += 1;
        let n = self.n as i32;
        if self.b + n <= 0 {
            self.b += n;
            if self.b <= -n {
                self.b = -n + 1;
            }
            if self.c > -128 {
                self.c -= 1;
            }
        } else if self.b > 0 {
            self.b -= n;
            if self.b > 0 {
                self.b = 0;
            }
            if self.c < 127 {
                self.c += 1;
            }
        }
    }
}

// ── Run mode context ──────────────────────────────────────────────────────────

/// Context for run-interruption mode.
///
/// When the codec detects a run of identical pixels and the run ends,
/// it uses a separate set of statistics for coding the interruption sample.
#[derive(Debug, Clone)]
pub struct RunModeContext {
    /// Accumulated |error|.
    pub a: i32,
    /// Sample count.
    pub n: i32,
    /// Count of negative errors (used for map).
    pub nn: i32,
    /// Run interruption type (0 or 1).
    pub ri_type: i32,
    /// Reset threshold.
    pub reset: i32,
}

impl RunModeContext {
    pub fn new(a_init: i32, reset: i32) -> Self {
        Self {
            a: a_init,
            n: 1,
            nn: 0,
            ri_type: 0,
            reset,
        }
    }

    /// Compute Golomb parameter for run interruption.
    #[inline]
    pub fn get_golomb(&self) -> i32 {
        // A.7.2.1: TEMP = A + (N >> 1) * RItype.
        let temp = self.a + (self.n >> 1) * self.ri_type;
        let mut k = 0;
        let mut ntest = self.n;
        while ntest < temp {
            k += 1;
            ntest <<= 1;
        }
        k
    }

    /// Compute the map value (whether to add 1 to the mapped error).
    #[inline]
    pub fn compute_map(&self, err_val: i32, k: i32) -> i32 {
        if (k == 0 && err_val > 0 && 2 * self.nn < self.n)
            || (err_val < 0 && (2 * self.nn >= self.n || k != 0))
        {
            1
        } else {
            0
        }
    }

    /// Compute the mapped error value for Golomb-Rice coding.
    pub fn compute_map_negative_e(&self, k: i32) -> bool {
        k != 0 || 2 * self.nn >= self.n
    }

    /// Update run-mode statistics after coding an error.
    pub fn update_variables(&mut self, err_val: i32, e_mapped: i32) {
        if err_val < 0 {
            self.nn += 1;
        }
        self.a += (e_mapped + 1 - self.ri_type) >> 1;
        // A.7.2.2: the halving at RESET comes before N is incremented.
        if self.n == self.reset {
            self.a >>= 1;
            self.n >>= 1;
            self.nn >>= 1;
        }
        self.n += 1;
    }
}

// ── Tests ─────────────────────────────────────────────────────────────────────

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_golomb_parameter() {
        // Initial A = 4, N = 1 → k should satisfy N << k >= A → 1 << 2 = 4 >= 4, so k=2
        let ctx = JlsContext::new(4);
        assert_eq!(ctx.get_golomb(), 2);
    }

    #[test]
    fn golomb_k_zero() {
        // A <= N → k = 0
        let ctx = JlsContext {
            a: 1,
            b: 0,
            c: 0,
            n: 2,
        };
        assert_eq!(ctx.get_golomb(), 0);
    }

    #[test]
    fn error_correction_at_k_zero() {
        // k=0, 2*B <= -N → every bit flipped
        let ctx = JlsContext {
            a: 1,
            b: -5,
            c: 0,
            n: 2,
        };
        assert_eq!(ctx.get_error_correction(0), -1);

        // k=0, 2*B > -N → correction = 0
        let ctx2 = JlsContext {
            a: 1,
            b: 0,
            c: 0,
            n: 2,
        };
        assert_eq!(ctx2.get_error_correction(0), 0);

        // k != 0 → correction = 0
        assert_eq!(ctx.get_error_correction(1), 0);
    }

    #[test]
    fn update_variables_accumulates() {
        let mut ctx = JlsContext::new(4);
        ctx.update_variables(3, 0, 64);
        assert_eq!(ctx.a, 7); // 4 + |3|
        ctx.update_variables(-2, 0, 64);
        assert_eq!(ctx.a, 9); // 7 + |-2|
    }

    #[test]
    fn counter_halving_at_reset() {
        let mut ctx = JlsContext::new(100);
        ctx.n = 64; // at RESET: halved before the increment (A.6.1)
        ctx.a = 200;
        ctx.b = -10;
        ctx.update_variables(5, 0, 64);
        assert_eq!(ctx.n, 33);
        assert_eq!(ctx.a, 102); // (200 + 5) >> 1
        assert_eq!(ctx.b, -3); // (-10 + 5) >> 1
    }

    #[test]
    fn run_mode_context_golomb() {
        let ctx = RunModeContext::new(4, 64);
        assert_eq!(ctx.get_golomb(), 2);
    }

    #[test]
    fn run_mode_update() {
        let mut ctx = RunModeContext::new(1, 64);
        ctx.update_variables(-1, 2);
        assert_eq!(ctx.nn, 1);
        assert!(ctx.n > 1);
    }
}
