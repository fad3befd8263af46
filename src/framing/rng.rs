//! A tiny seeded random number generator for the framing bootstrap: xoshiro256** seeded by
//! SplitMix64, with uniform, exponential, normal and gamma draws. Written out here (rather than
//! pulled from a crate) so that a seed gives the same intervals on every platform and crate
//! version.
//!
//! The exponential and normal draws use Marsaglia and Tsang's ziggurat (256 layers): nearly
//! every draw is one 64-bit word, a table read and a comparison, with no logarithm or cosine.
//! Gamma draws use Marsaglia and Tsang's method with its squeeze (the logarithms are computed
//! only for the rare draws the squeeze does not settle), `Exp(1)` directly for shape 1, and
//! `Gamma(a + 1) * exp(-E / a)` (`E ~ Exp(1)`, which is `U^(1/a)`) for shape `a < 1`. Every
//! sampler is exact (no approximation of the distribution); [`GammaSampler`] holds the
//! per-shape constants so that a shape drawn from many times computes them once.

use std::sync::OnceLock;

/// xoshiro256** (Blackman and Vigna), seeded from one `u64` through SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a hash of a string: derives stable per-outlet / per-article seeds from names.
pub fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// Seed of sub-stream `k` of `seed`: the seed mixed with a SplitMix64 hash of `k`, so the
/// sub-streams of one seed start far apart (the bootstrap gives every block of replicates its
/// own sub-stream, which makes its result independent of how blocks are shared among threads).
pub fn substream_seed(seed: u64, k: u64) -> u64 {
    let mut st = k ^ 0x6A09_E667_F3BC_C908;
    seed ^ splitmix(&mut st)
}

/// The tables of a 256-layer ziggurat for a decreasing density `f` on [0, inf): `x[0]` is the
/// base layer's pseudo-width `v / f(r)`, `x[1] = r`, ..., `x[256] = 0`; `f[i] = f(x[i])`.
struct Ziggurat {
    x: [f64; 257],
    f: [f64; 257],
}

impl Ziggurat {
    fn build(r: f64, v: f64, pdf: fn(f64) -> f64, inverse: fn(f64) -> f64) -> Ziggurat {
        let mut x = [0.0; 257];
        x[0] = v / pdf(r);
        x[1] = r;
        for i in 2..256 {
            x[i] = inverse(v / x[i - 1] + pdf(x[i - 1]));
        }
        x[256] = 0.0;
        let f = x.map(pdf);
        Ziggurat { x, f }
    }
}

const NORM_R: f64 = 3.654_152_885_361_009;
const NORM_V: f64 = 0.004_928_673_233_99;
const EXP_R: f64 = 7.697_117_470_131_05;
const EXP_V: f64 = 0.003_949_659_822_581_557;

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp()
}

fn exp_pdf(x: f64) -> f64 {
    (-x).exp()
}

fn normal_table() -> &'static Ziggurat {
    static T: OnceLock<Ziggurat> = OnceLock::new();
    T.get_or_init(|| Ziggurat::build(NORM_R, NORM_V, normal_pdf, |y| (-2.0 * y.ln()).sqrt()))
}

fn exp_table() -> &'static Ziggurat {
    static T: OnceLock<Ziggurat> = OnceLock::new();
    T.get_or_init(|| Ziggurat::build(EXP_R, EXP_V, exp_pdf, |y| -y.ln()))
}

/// 2^-53 and 2^-52: scale 53 random bits to (0, 1) and (0, 2).
const TWO_M53: f64 = 1.0 / (1u64 << 53) as f64;
const TWO_M52: f64 = 1.0 / (1u64 << 52) as f64;

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut st = seed;
        let s = [
            splitmix(&mut st),
            splitmix(&mut st),
            splitmix(&mut st),
            splitmix(&mut st),
        ];
        Rng { s }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in the open interval (0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * TWO_M53
    }

    /// Standard exponential, `Exp(1)` (ziggurat).
    #[inline]
    pub fn exp1(&mut self) -> f64 {
        let t = exp_table();
        loop {
            let bits = self.next_u64();
            let i = (bits & 0xff) as usize;
            let u = ((bits >> 11) as f64 + 0.5) * TWO_M53;
            let x = u * t.x[i];
            if x < t.x[i + 1] {
                return x;
            }
            if i == 0 {
                // The tail beyond r is r + Exp(1) (memorylessness).
                return EXP_R + self.exp1();
            }
            if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * self.uniform() < exp_pdf(x) {
                return x;
            }
        }
    }

    /// Standard normal (ziggurat, Marsaglia's tail method beyond the last layer).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let t = normal_table();
        loop {
            let bits = self.next_u64();
            let i = (bits & 0xff) as usize;
            let u = ((bits >> 11) as f64 + 0.5) * TWO_M52 - 1.0;
            let x = u * t.x[i];
            if x.abs() < t.x[i + 1] {
                return x;
            }
            if i == 0 {
                let tail = loop {
                    let a = -self.uniform().ln() / NORM_R;
                    let b = -self.uniform().ln();
                    if 2.0 * b > a * a {
                        break NORM_R + a;
                    }
                };
                return if u < 0.0 { -tail } else { tail };
            }
            if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * self.uniform() < normal_pdf(x) {
                return x;
            }
        }
    }

    /// Gamma(shape, 1); 0 for a non-positive or non-finite shape. For many draws of one shape,
    /// [`GammaSampler`] saves the per-shape constants.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        GammaSampler::new(shape).sample(self)
    }
}

/// Draws from Gamma(shape, 1) with the per-shape constants computed once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaSampler {
    kind: GammaKind,
    /// Marsaglia-Tsang's `d = a - 1/3` (of `a + 1` when boosting).
    d: f64,
    /// Marsaglia-Tsang's `c = 1 / sqrt(9 d)`.
    c: f64,
    /// `1 / a` for the boost of a shape below 1.
    inv_shape: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum GammaKind {
    Zero,
    Exponential,
    Large,
    Boosted,
}

impl GammaSampler {
    /// The sampler of Gamma(`shape`, 1); a non-positive or non-finite shape always gives 0.
    pub fn new(shape: f64) -> GammaSampler {
        let (kind, base) = if shape <= 0.0 || !shape.is_finite() {
            (GammaKind::Zero, 1.0)
        } else if shape == 1.0 {
            (GammaKind::Exponential, 1.0)
        } else if shape < 1.0 {
            (GammaKind::Boosted, shape + 1.0)
        } else {
            (GammaKind::Large, shape)
        };
        let d = base - 1.0 / 3.0;
        GammaSampler {
            kind,
            d,
            c: 1.0 / (9.0 * d).sqrt(),
            inv_shape: if kind == GammaKind::Boosted {
                1.0 / shape
            } else {
                1.0
            },
        }
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self.kind {
            GammaKind::Zero => 0.0,
            GammaKind::Exponential => rng.exp1(),
            GammaKind::Large => self.marsaglia_tsang(rng),
            GammaKind::Boosted => {
                // Gamma(a) = Gamma(a + 1) * U^(1/a), and U^(1/a) = exp(-E / a) for E ~ Exp(1).
                let boost = (-rng.exp1() * self.inv_shape).exp();
                self.marsaglia_tsang(rng) * boost
            }
        }
    }

    #[inline]
    fn marsaglia_tsang(&self, rng: &mut Rng) -> f64 {
        let d = self.d;
        loop {
            let x = rng.normal();
            let v = 1.0 + self.c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = rng.uniform();
            let x2 = x * x;
            // The squeeze settles about 98% of draws without a logarithm.
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }
}

/// The sampler of earlier versions (Box-Muller normals, Marsaglia-Tsang without the squeeze,
/// `U^(1/a)` boost): the reference the new samplers and the bootstrap's coverage are checked
/// against.
#[cfg(test)]
pub(crate) mod reference {
    use super::Rng;

    /// Standard normal by Box-Muller (one of the pair discarded).
    pub fn normal(rng: &mut Rng) -> f64 {
        let u1 = rng.uniform();
        let u2 = rng.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Gamma(shape, 1) as earlier versions drew it.
    pub fn gamma(rng: &mut Rng, shape: f64) -> f64 {
        if shape <= 0.0 || !shape.is_finite() {
            return 0.0;
        }
        if shape < 1.0 {
            let u = rng.uniform();
            return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = normal(rng);
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = rng.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let c = Rng::new(8).next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
        assert_ne!(substream_seed(7, 0), substream_seed(7, 1));
        assert_ne!(substream_seed(7, 0), 7);
    }

    #[test]
    fn the_ziggurat_layers_close_at_the_top_and_have_equal_areas() {
        for (t, v, pdf) in [
            (normal_table(), NORM_V, normal_pdf as fn(f64) -> f64),
            (exp_table(), EXP_V, exp_pdf as fn(f64) -> f64),
        ] {
            assert!(t.x.windows(2).all(|w| w[0] > w[1]), "widths decrease");
            // The top layer [0, x255] x [f(x255), 1] has area v when the recurrence closes.
            let top = t.x[255] * (1.0 - pdf(t.x[255]));
            assert!((top - v).abs() < 1e-9 * v.max(1.0) + 1e-10, "{top} vs {v}");
            for i in 1..255 {
                let area = t.x[i] * (t.f[i + 1] - t.f[i]);
                assert!((area - v).abs() < 1e-9, "layer {i}: {area}");
            }
        }
    }

    fn ks_one_sample(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let c = cdf(x);
                (c - i as f64 / n).abs().max(((i + 1) as f64 / n - c).abs())
            })
            .fold(0.0, f64::max)
    }

    fn ks_two_sample(mut a: Vec<f64>, mut b: Vec<f64>) -> f64 {
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let (na, nb) = (a.len() as f64, b.len() as f64);
        let (mut i, mut j, mut d) = (0, 0, 0.0f64);
        while i < a.len() && j < b.len() {
            if a[i] <= b[j] {
                i += 1;
            } else {
                j += 1;
            }
            d = d.max((i as f64 / na - j as f64 / nb).abs());
        }
        d
    }

    /// Standard normal CDF (erfc by Numerical Recipes' Chebyshev fit, error below 1.2e-7).
    fn phi(x: f64) -> f64 {
        let z = x.abs() / std::f64::consts::SQRT_2;
        let t = 1.0 / (1.0 + 0.5 * z);
        let poly = -z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77))))))));
        let erfc = t * poly.exp();
        if x >= 0.0 {
            1.0 - 0.5 * erfc
        } else {
            0.5 * erfc
        }
    }

    // Kolmogorov-Smirnov at the 0.1% level: 1.95 / sqrt(n) (one sample), 1.95 sqrt(2 / n) (two
    // samples of n). A sampler with a wrong layer, tail or boost fails these by far.
    #[test]
    fn normal_and_exponential_draws_follow_their_distributions() {
        let n = 200_000;
        let mut r = Rng::new(3);
        let normals: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let d = ks_one_sample(normals.clone(), phi);
        assert!(d < 1.95 / (n as f64).sqrt(), "normal KS {d}");
        let tail = normals.iter().filter(|x| x.abs() > NORM_R).count();
        // Expected 2 (1 - phi(r)) n = 51.6 with a standard deviation of 7.2.
        assert!((25..=80).contains(&tail), "normal tail count {tail}");
        let k = normals.iter().map(|x| x.powi(4)).sum::<f64>() / n as f64;
        assert!((k - 3.0).abs() < 0.1, "normal fourth moment {k}");
        let exps: Vec<f64> = (0..n).map(|_| r.exp1()).collect();
        assert!(exps.iter().all(|&x| x > 0.0));
        let d = ks_one_sample(exps, |x| 1.0 - (-x).exp());
        assert!(d < 1.95 / (n as f64).sqrt(), "exponential KS {d}");
        // The exponential tail beyond r (probability 4.5e-4): sampled from often enough here.
        let far = (0..400_000).filter(|_| r.exp1() > EXP_R).count();
        assert!((120..=250).contains(&far), "exponential tail count {far}");
    }

    #[test]
    fn gamma_draws_match_the_reference_sampler() {
        let n = 60_000;
        let mut r = Rng::new(5);
        let mut old = Rng::new(6);
        for shape in [0.05, 0.3, 0.5, 0.75, 1.0, 1.5, 4.0, 30.0] {
            let s = GammaSampler::new(shape);
            let new: Vec<f64> = (0..n).map(|_| s.sample(&mut r)).collect();
            let reference: Vec<f64> = (0..n).map(|_| reference::gamma(&mut old, shape)).collect();
            let mean = new.iter().sum::<f64>() / n as f64;
            let var = new.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            assert!(
                (mean - shape).abs() < 0.03 * shape.max(1.0),
                "{shape}: mean {mean}"
            );
            assert!(
                (var - shape).abs() < 0.08 * shape.max(1.0),
                "{shape}: variance {var}"
            );
            let d = ks_two_sample(new, reference);
            assert!(d < 1.95 * (2.0 / n as f64).sqrt(), "{shape}: KS {d}");
        }
        assert_eq!(r.gamma(0.0), 0.0);
        assert_eq!(r.gamma(f64::NAN), 0.0);
        assert_eq!(r.gamma(-1.0), 0.0);
    }
}
