//! The weighted ratio estimator and its uncertainty (REFERENCE.md, "Weighted estimates
//! and their uncertainty").
//!
//! A group's rate is `R = Σ wᵢyᵢ / Σ wᵢxᵢ` with households as sampling units. Its
//! standard error comes from Taylor linearization under the with-replacement
//! approximation: `zᵢ = wᵢ(yᵢ − R xᵢ) / Σ wⱼxⱼ`, `var(R) = n/(n−1) · Σ (zᵢ − z̄)²`, and the
//! 95 % interval is `R ± t(0.975, n−1) · SE`, as survey packages such as samplics report.
//!
//! The Student t quantile is computed here rather than taken from a statistics crate so
//! that the module stays small in WASM, and with `libm` rather than the platform's maths
//! library so that native and WASM results agree to the bit.

use serde::{Deserialize, Serialize};

/// Below this many households an estimate is flagged: its interval is wide
/// (REFERENCE.md suggests 30).
pub const SMALL_N: usize = 30;

/// One household's contribution to a ratio: numerator `y`, denominator `x`, weight `w`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Numerator (e.g. film recovered, kg).
    pub y: f64,
    /// Denominator (e.g. film used, kg).
    pub x: f64,
    /// Sampling weight (1 when the sample has none).
    pub w: f64,
}

/// A weighted ratio estimate with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatioEstimate {
    /// Households that carry the section (x present).
    pub n: usize,
    /// `Σ w y`.
    pub weighted_numerator: f64,
    /// `Σ w x`.
    pub weighted_denominator: f64,
    /// `Σ y`.
    pub numerator: f64,
    /// `Σ x`.
    pub denominator: f64,
    /// The weighted ratio `R`; none when `Σ w x` is zero.
    pub rate: Option<f64>,
    /// The unweighted ratio of totals `Σ y / Σ x`; none when `Σ x` is zero.
    pub unweighted_rate: Option<f64>,
    /// Taylor-linearized standard error of `R`; none below two households.
    pub se: Option<f64>,
    /// Lower end of the 95 % interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95 % interval.
    pub ci_high: Option<f64>,
    /// Fewer than [`SMALL_N`] households: read the interval with care.
    pub small_n: bool,
}

/// The sums a group's estimate needs, which a database can compute with `SUM(...)` just
/// as well as a loop over households can.
///
/// Because `Σ zᵢ = (Σ wy − R Σ wx) / Σ wx = 0`, the Taylor variance
/// `n/(n−1) · Σ (zᵢ − z̄)²` equals `n/(n−1) · (Σ w²y² − 2R Σ w²xy + R² Σ w²x²) / (Σ wx)²`:
/// eight sums per indicator and group carry everything the estimate needs. The server
/// sums them in SQL over millions of households; the browser sums them from surveys;
/// both then call [`RatioSums::estimate`], the one implementation of the estimator.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RatioSums {
    /// Households that carry the section.
    pub n: u64,
    /// `Σ w y`.
    pub wy: f64,
    /// `Σ w x`.
    pub wx: f64,
    /// `Σ y`.
    pub y: f64,
    /// `Σ x`.
    pub x: f64,
    /// `Σ w² y²`.
    pub wwyy: f64,
    /// `Σ w² x²`.
    pub wwxx: f64,
    /// `Σ w² x y`.
    pub wwxy: f64,
}

impl RatioSums {
    /// Sums the observations, in the order given.
    pub fn from_observations(observations: &[Observation]) -> RatioSums {
        let mut sums = RatioSums::default();
        for o in observations {
            sums.add(o);
        }
        sums
    }

    /// Adds one household.
    pub fn add(&mut self, o: &Observation) {
        let (wy, wx) = (o.w * o.y, o.w * o.x);
        self.n += 1;
        self.wy += wy;
        self.wx += wx;
        self.y += o.y;
        self.x += o.x;
        self.wwyy += wy * wy;
        self.wwxx += wx * wx;
        self.wwxy += wx * wy;
    }

    /// Adds another group's sums to these.
    pub fn absorb(&mut self, other: &RatioSums) {
        let RatioSums {
            n,
            wy,
            wx,
            y,
            x,
            wwyy,
            wwxx,
            wwxy,
        } = *other;
        self.n += n;
        self.wy += wy;
        self.wx += wx;
        self.y += y;
        self.x += x;
        self.wwyy += wwyy;
        self.wwxx += wwxx;
        self.wwxy += wwxy;
    }

    /// The weighted ratio, its standard error and 95 % interval.
    pub fn estimate(&self) -> RatioEstimate {
        let n = self.n as usize;
        let rate = ratio(self.wy, self.wx);
        let se = match rate {
            Some(r) if n >= 2 => {
                let residual_squares = self.wwyy - 2.0 * r * self.wwxy + r * r * self.wwxx;
                // The expansion cancels when every household has (nearly) the same rate: its
                // terms are sums of n products, each off by up to about n ulps of their
                // size, so a residual within that bound is rounding, and its sign and size
                // depend on the order the sums were taken in (SQL's order on the server,
                // survey-id order in the browser). Within the bound it is zero, so both
                // give the same interval, not a standard error of 1e-8 against 0.
                let scale = self.wwyy + 2.0 * (r * self.wwxy).abs() + r * r * self.wwxx;
                let rounding = 4.0 * n as f64 * f64::EPSILON * scale;
                let residual_squares = if residual_squares <= rounding {
                    0.0
                } else {
                    residual_squares
                };
                let variance = n as f64 / (n as f64 - 1.0) * residual_squares / (self.wx * self.wx);
                // Non-finite input (possible only from native callers) gives no interval
                // rather than a NaN one.
                Some(variance.sqrt()).filter(|se| se.is_finite())
            }
            _ => None,
        };
        let half_width = se.and_then(|se| t_quantile(0.975, (n - 1) as f64).map(|t| t * se));
        RatioEstimate {
            n,
            weighted_numerator: self.wy,
            weighted_denominator: self.wx,
            numerator: self.y,
            denominator: self.x,
            rate,
            unweighted_rate: ratio(self.y, self.x),
            se,
            ci_low: rate.zip(half_width).map(|(r, h)| r - h),
            ci_high: rate.zip(half_width).map(|(r, h)| r + h),
            small_n: n < SMALL_N,
        }
    }
}

/// Estimates `R = Σ w y / Σ w x` with its standard error and 95 % interval.
///
/// The sum is taken in the order given, so callers that need bit-identical results
/// across input permutations must present observations in a canonical order (the
/// indicator module sorts by survey id).
pub fn ratio_estimate(observations: &[Observation]) -> RatioEstimate {
    RatioSums::from_observations(observations).estimate()
}

/// `numerator / denominator`, or none when that is not a finite number (zero or
/// non-finite denominator).
pub fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    let r = numerator / denominator;
    (denominator != 0.0 && r.is_finite()).then_some(r)
}

/// The `p` quantile of Student's t distribution with `df` degrees of freedom, for
/// `0 < p < 1` and `df > 0`; none outside that domain.
///
/// One and two degrees of freedom have closed forms. Otherwise the distribution function
/// `F(t) = 1 − ½ I_{df/(df+t²)}(df/2, ½)` (regularized incomplete beta, evaluated by its
/// continued fraction) is inverted by Newton steps kept inside a bisection bracket,
/// which converges to full double precision.
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    // Written so that NaN fails every test.
    let in_domain = p > 0.0 && p < 1.0 && df > 0.0 && df.is_finite();
    if !in_domain {
        return None;
    }
    if p < 0.5 {
        return t_quantile(1.0 - p, df).map(|t| -t);
    }
    if p == 0.5 {
        return Some(0.0);
    }
    if df == 1.0 {
        return Some(libm::tan(std::f64::consts::PI * (p - 0.5)));
    }
    if df == 2.0 {
        return Some((2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt());
    }
    // With many degrees of freedom the expansion itself is exact to about 1e-14 for the
    // quantiles intervals use, and better than the incomplete beta there, whose
    // log-gamma terms (≈ 2 600 at df = 1 000) cancel away digits.
    if df >= 500.0 && p <= 0.99 {
        return Some(cornish_fisher(p, df));
    }
    // Newton steps from the Cornish–Fisher approximation (good to about 1e-6 from five
    // degrees of freedom, so two or three steps reach full precision), kept inside the
    // bracket [lo, hi] that every evaluation narrows; outside it, bisect (or, before an
    // upper bound is known, double).
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    let mut t = cornish_fisher(p, df).max(f64::MIN_POSITIVE);
    for _ in 0..200 {
        let f = t_cdf(t, df) - p;
        if f < 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        let mut next = t - f / t_pdf(t, df);
        if !(next > lo && next < hi) {
            next = if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                2.0 * t
            };
        }
        if !next.is_finite() {
            return None;
        }
        let collapsed = hi.is_finite() && hi - lo <= f64::EPSILON * hi;
        if (next - t).abs() <= 4.0 * f64::EPSILON * t.abs() || collapsed {
            return Some(next);
        }
        t = next;
    }
    Some(t)
}

/// The Cornish–Fisher expansion of the t quantile in powers of 1/df around the normal
/// quantile (Abramowitz & Stegun 26.7.5): the starting point of the Newton steps.
fn cornish_fisher(p: f64, df: f64) -> f64 {
    let z = normal_quantile(p);
    let (z2, v) = (z * z, df);
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

/// The standard normal quantile for 0.5 ≤ p < 1: Acklam's rational approximation
/// (relative error below 1.2e-9) refined by one Halley step on `erfc`, which brings it
/// to full double precision.
fn normal_quantile(p: f64) -> f64 {
    let x = acklam(p);
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * libm::exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    if p <= 0.97575 {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * libm::log(1.0 - p)).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// Student t distribution function.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(x, 0.5 * df, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// Student t density.
fn t_pdf(t: f64, df: f64) -> f64 {
    let log_norm = ln_gamma(0.5 * (df + 1.0))
        - ln_gamma(0.5 * df)
        - 0.5 * libm::log(df * std::f64::consts::PI);
    libm::exp(log_norm - 0.5 * (df + 1.0) * libm::log1p(t * t / df))
}

/// The regularized incomplete beta function `I_x(a, b)`, by the continued fraction
/// (modified Lentz), using the symmetry `I_x(a,b) = 1 − I_{1−x}(b,a)` where the fraction
/// converges slowly.
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let log_front =
        ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * libm::log(x) + b * libm::log1p(-x);
    let front = libm::exp(log_front);
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / away_from_zero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // Each iteration takes the fraction's even and then its odd term.
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &mut c, &mut d);
        let delta = lentz_step(
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
            &mut c,
            &mut d,
        );
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// One term `aa` of the modified Lentz method: updates its `c` and `d` and returns the
/// factor by which the fraction's value changes.
fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = 1.0 / away_from_zero(1.0 + aa * *d);
    *c = away_from_zero(1.0 + aa / *c);
    *d * *c
}

/// `v`, or a tiny number where `v` is nearly zero, so that Lentz's method never divides
/// by zero.
fn away_from_zero(v: f64) -> f64 {
    const TINY: f64 = 1e-300;
    if v.abs() < TINY { TINY } else { v }
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine terms; about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        let pi = std::f64::consts::PI;
        return libm::log(pi / libm::sin(pi * x).abs()) - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * libm::log(2.0 * std::f64::consts::PI) + (x + 0.5) * libm::log(t) - t + libm::log(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64, tolerance: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= tolerance)
    }

    /// Regression (the facts test on PostgreSQL): households that all recovered the same
    /// share gave a standard error of 9e-9 from the server's SQL sums and 0 from the
    /// browser's, the cancellation's rounding differing with the summation order.
    #[test]
    fn equal_rates_give_a_zero_standard_error_in_any_order() {
        let observations: Vec<Observation> = (0..500)
            .map(|i| {
                let x = 0.37 + f64::from(i % 17) * 1.13 + f64::from(i) * 0.071;
                Observation {
                    y: x * 0.7,
                    x,
                    w: 1.0 + f64::from(i % 7) * 0.29,
                }
            })
            .collect();
        let mut reversed = observations.clone();
        reversed.reverse();
        for order in [&observations, &reversed] {
            let estimate = RatioSums::from_observations(order).estimate();
            assert_eq!(estimate.se, Some(0.0), "{estimate:?}");
            assert_eq!(estimate.ci_low, estimate.rate);
        }
        // A real spread stays: one household off the common rate.
        let mut spread = observations.clone();
        spread[0].y *= 1.5;
        let se = RatioSums::from_observations(&spread).estimate().se;
        assert!(se.is_some_and(|se| se > 1e-6), "{se:?}");
    }

    #[test]
    fn t_quantiles_match_published_tables() {
        // Standard table values, cross-checked by Simpson integration of the density;
        // df = 1000 from the Cornish–Fisher series to five terms.
        for (df, expected) in [
            (1.0, 12.706_204_736_174_7),
            (2.0, 4.302_652_729_749_464),
            (3.0, 3.182_446_305_284_263),
            (4.0, 2.776_445_105_197_793),
            (9.0, 2.262_157_162_798_205),
            (29.0, 2.045_229_642_132_703),
            (120.0, 1.979_930_405_052_777),
            (1000.0, 1.962_339_080_826_408),
        ] {
            let t = t_quantile(0.975, df);
            assert!(close(t, expected, 1e-9), "df {df}: {t:?} vs {expected}");
        }
        assert!(close(t_quantile(0.025, 5.0), -2.570_581_835_636_314, 1e-9));
        assert!(close(t_quantile(0.995, 10.0), 3.169_272_672_617_2, 1e-9));
        // A province of 100 000 households: just above the normal quantile, and
        // shrinking towards it.
        let big: Vec<f64> = [499.0, 500.0, 1e4, 1e5, 1e6]
            .iter()
            .map(|&df| t_quantile(0.975, df).unwrap_or(0.0))
            .collect();
        assert!(big.windows(2).all(|w| w[0] > w[1]), "{big:?}");
        assert!(
            big[4] > 1.959_963_984_540_054 && big[4] < 1.959_967,
            "{big:?}"
        );
        // The two methods meet at df = 500 (value from the A&S series).
        assert!((big[1] - 1.964_719_837_467_358).abs() < 1e-12, "{big:?}");
        assert_eq!(t_quantile(0.5, 7.0), Some(0.0));
        assert_eq!(t_quantile(1.0, 7.0), None);
        assert_eq!(t_quantile(0.9, 0.0), None);
        assert_eq!(t_quantile(f64::NAN, 3.0), None);
    }

    #[test]
    fn starting_points_are_close() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-15);
        assert!((normal_quantile(0.999) - 3.090_232_306_167_813).abs() < 1e-14);
        assert!((cornish_fisher(0.975, 30.0) - 2.042_272_456_301_238).abs() < 1e-6);
    }

    #[test]
    fn cdf_inverts_the_quantile() {
        // Where the incomplete beta is used (df < 500, or far tails).
        let many = (3..80).map(f64::from).chain([5.5, 250.0, 499.0]);
        for df in many {
            for p in [0.55, 0.6, 0.9, 0.975, 0.999, 0.999_999] {
                let t = t_quantile(p, df).unwrap_or(f64::NAN);
                // Near the centre with thousands of degrees of freedom the incomplete
                // beta keeps about 12 digits; the 0.975 quantile keeps about 15.
                let tolerance = if p == 0.975 { 1e-14 } else { 1e-11 };
                assert!((t_cdf(t, df) - p).abs() < tolerance, "df {df} p {p}: t {t}");
            }
        }
    }

    /// The worked example of REFERENCE.md (checked there against samplics).
    #[test]
    fn reproduces_the_reference_worked_example() {
        let obs = |rows: &[(f64, f64, f64)]| -> Vec<Observation> {
            rows.iter()
                .map(|&(w, x, y)| Observation { y, x, w })
                .collect()
        };
        // (w, x, y) per household; H3 has no packaging and no straw.
        let film = obs(&[(10.0, 40.0, 30.0), (30.0, 10.0, 10.0), (20.0, 50.0, 20.0)]);
        let packaging = obs(&[(10.0, 20.0, 15.0), (30.0, 10.0, 12.0)]);
        let straw = obs(&[(10.0, 1000.0, 800.0), (30.0, 500.0, 450.0)]);
        let dung = obs(&[
            (10.0, 10000.0, 8000.0),
            (30.0, 5000.0, 5000.0),
            (20.0, 20000.0, 15000.0),
        ]);
        type Row = (
            &'static str,
            Vec<Observation>,
            f64,
            f64,
            f64,
            f64,
            f64,
            usize,
        );
        let expected: [Row; 4] = [
            (
                "film",
                film,
                0.6,
                0.588235294118,
                0.168771604128,
                -0.137930309,
                1.314400897,
                3,
            ),
            (
                "packaging",
                packaging,
                0.9,
                1.02,
                0.216,
                -1.724540223,
                3.764540223,
                2,
            ),
            (
                "straw",
                straw,
                0.833333333333,
                0.86,
                0.048,
                0.250102173,
                1.469897827,
                2,
            ),
            (
                "dung",
                dung,
                0.8,
                0.815384615385,
                0.071829542748,
                0.506327037,
                1.124442194,
                3,
            ),
        ];
        for (name, data, unweighted, rate, se, low, high, n) in expected {
            let e = ratio_estimate(&data);
            assert_eq!(e.n, n, "{name}");
            assert!(close(e.unweighted_rate, unweighted, 1e-9), "{name} {e:?}");
            assert!(close(e.rate, rate, 1e-9), "{name} {e:?}");
            assert!(close(e.se, se, 1e-9), "{name} {e:?}");
            assert!(close(e.ci_low, low, 1e-9), "{name} {e:?}");
            assert!(close(e.ci_high, high, 1e-9), "{name} {e:?}");
            assert!(e.small_n);
        }
    }

    #[test]
    fn empty_and_single_groups_have_no_interval() {
        let empty = ratio_estimate(&[]);
        assert_eq!((empty.rate, empty.se, empty.n), (None, None, 0));
        let zero = ratio_estimate(&[Observation {
            y: 0.0,
            x: 0.0,
            w: 1.0,
        }]);
        assert_eq!((zero.rate, zero.n), (None, 1));
        let one = ratio_estimate(&[Observation {
            y: 1.0,
            x: 2.0,
            w: 1.0,
        }]);
        assert_eq!((one.rate, one.se, one.ci_low), (Some(0.5), None, None));
    }
}
