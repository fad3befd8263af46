//! The trainer: multinomial logistic regression fitted by L-BFGS on a sparse design matrix.
//!
//! The objective is exactly linfa-logistic's `MultiLogisticRegression` objective (read from
//! its source, version 0.8.1), extended with optional per-sample weights:
//!
//! ```text
//! L(W, b) = sum_i s_i * -log softmax(x_i W + b)[y_i]  +  alpha / 2 * ||W||^2
//! ```
//!
//! The loss is summed (not averaged) over samples, the intercept `b` is not penalized, and
//! `alpha` is the L2 strength, i.e. `1 / C` in scikit-learn's terms. The parameter vector is
//! laid out as linfa lays it out: a `(n_features + 1) x n_classes` row-major matrix whose last
//! row holds the intercepts.
//!
//! Why not call linfa-logistic directly (it stays available as [`Solver::Linfa`], the
//! reference the tests compare against): it needs a dense `n x f` matrix (20k sentences x
//! 100k n-grams is 16 GB of doubles), it hides non-convergence, its gradient tolerance is on
//! the summed loss, and it has no sample weights. Here the loss and gradient cost
//! `O(nnz x classes)` and the matrix is stored once, feature by feature (per feature, the
//! samples holding it in sample order: a `u32` sample index and an `f32` value per non-zero,
//! 8 bytes; no copy by sample; every product and sum is taken in `f64`). One evaluation makes two passes over it: the scores, each
//! feature's weights added to its samples' scores in feature order (the order of a sample's
//! sorted entries); then, after each sample's loss and weighted `P - Y`, the gradient
//! `X^T (P - Y)`, each feature summed over its samples in sample order (features in
//! parallel). No sum depends on how the work is split, so the result is byte-for-byte the
//! same whatever the number of threads.
//!
//! The optimizer is L-BFGS (memory 10, as linfa and scikit-learn) written here on plain
//! `Vec<f64>`s, updated in place: the two-loop recursion (each pass over the direction also
//! takes the next dot product), and a line search for the strong Wolfe conditions
//! (Nocedal & Wright, algorithms 3.5 and 3.6, cubic interpolation) that tries the unit step
//! first, so most iterations cost one loss-and-gradient evaluation (the loss and gradient
//! are always computed together). If the search fails, the memory is dropped and the
//! steepest descent is tried; if that fails too the optimizer stops and says why. The stored
//! pairs are kept in `f32` (half the optimizer's memory; they only shape the direction). All
//! vector algebra runs on one thread in a fixed order, so it adds nothing thread-dependent.
//! It may start from given parameters (a warm start) instead of zero. Convergence is judged
//! on the L2 norm of the gradient of the *mean* loss (stricter than scikit-learn's max-abs
//! rule, which left the objective 0.17% above scikit-learn's own solution) and reported,
//! never hidden; any panic inside the optimizer is caught and returned as an error.
//!
//! [`Solver::Linfa`]: super::Solver::Linfa

#[cfg(test)]
use crate::features::SparseVec;
use rayon::prelude::*;
use std::collections::VecDeque;

/// Number of classes (the four labels).
pub(crate) const K: usize = 4;

/// Rows per parallel task: fixed so that results never depend on the thread count.
const ROW_CHUNK: usize = 256;
/// Features per parallel task in the gradient pass.
const FEATURE_CHUNK: usize = 512;

/// A compressed sparse matrix (rows of sorted `(column, value)` entries). Training keeps the
/// design matrix feature by feature: row `j` of that matrix lists the samples holding feature
/// `j` (in sample order) with their values.
#[derive(Debug, Clone)]
pub(crate) struct Csr {
    pub(crate) n_cols: usize,
    pub(crate) indptr: Vec<usize>,
    pub(crate) indices: Vec<u32>,
    /// Values stored in single precision (8 bytes a non-zero with the index instead of 12);
    /// every sum over them is taken in `f64`.
    pub(crate) values: Vec<f32>,
}

impl Csr {
    /// Builds the matrix from feature rows.
    #[cfg(test)]
    pub(crate) fn from_rows(rows: &[SparseVec], n_cols: usize) -> Csr {
        let nnz = rows.iter().map(SparseVec::len).sum();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        indptr.push(0);
        for r in rows {
            for &(j, v) in r.iter() {
                indices.push(j as u32);
                values.push(v as f32);
            }
            indptr.push(indices.len());
        }
        Csr {
            n_cols,
            indptr,
            indices,
            values,
        }
    }

    /// A matrix of `counts.len()` rows and `n_cols` columns with room for `counts[r]` entries
    /// in row `r`, to be filled by [`Csr::fill`] in any row order; zeros until then.
    pub(crate) fn with_row_counts(counts: &[usize], n_cols: usize) -> Csr {
        let mut indptr = Vec::with_capacity(counts.len() + 1);
        let mut total = 0;
        indptr.push(0);
        for &c in counts {
            total += c;
            indptr.push(total);
        }
        Csr {
            n_cols,
            indptr,
            indices: vec![0; total],
            values: vec![0.0; total],
        }
    }

    /// Stores `(column, value)` as the next entry of row `r` (the value rounded to `f32`),
    /// `next[r]` being that row's next free position (start it at `indptr[r]`). `false` if
    /// the row is already full.
    pub(crate) fn fill(&mut self, next: &mut [usize], r: usize, column: u32, value: f64) -> bool {
        let p = next[r];
        if p >= self.indptr[r + 1] {
            return false;
        }
        self.indices[p] = column;
        self.values[p] = value as f32;
        next[r] = p + 1;
        true
    }

    /// Sorts each row's entries by column (stable for equal columns, which a design matrix
    /// does not have).
    pub(crate) fn sort_rows(&mut self) {
        let mut scratch: Vec<(u32, f32)> = Vec::new();
        for r in 0..self.n_rows() {
            let (lo, hi) = (self.indptr[r], self.indptr[r + 1]);
            if self.indices[lo..hi].windows(2).all(|p| p[0] <= p[1]) {
                continue;
            }
            scratch.clear();
            scratch.extend(
                self.indices[lo..hi]
                    .iter()
                    .copied()
                    .zip(self.values[lo..hi].iter().copied()),
            );
            scratch.sort_by_key(|e| e.0);
            for (p, (j, v)) in (lo..hi).zip(scratch.iter().copied()) {
                self.indices[p] = j;
                self.values[p] = v;
            }
        }
    }

    /// Row `r`'s entries as `(column, value)` pairs.
    pub(crate) fn row_entries(&self, r: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (lo, hi) = (self.indptr[r], self.indptr[r + 1]);
        self.indices[lo..hi]
            .iter()
            .zip(&self.values[lo..hi])
            .map(|(&j, &v)| (j as usize, f64::from(v)))
    }

    pub(crate) fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// The transpose, rows sorted by column index (row order inside each column kept).
    pub(crate) fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.n_cols];
        for &j in &self.indices {
            counts[j as usize] += 1;
        }
        let mut t = Csr::with_row_counts(&counts, self.n_rows());
        let mut next = t.indptr[..self.n_cols].to_vec();
        for i in 0..self.n_rows() {
            for p in self.indptr[i]..self.indptr[i + 1] {
                let filled = t.fill(
                    &mut next,
                    self.indices[p] as usize,
                    i as u32,
                    f64::from(self.values[p]),
                );
                debug_assert!(filled);
            }
        }
        t
    }
}

/// The training problem: the design matrix (stored by feature), labels, sample weights and
/// L2 strength.
pub(crate) struct SparseProblem<'a> {
    /// Row `j`: the samples holding feature `j`, in sample order, with their values.
    xt: &'a Csr,
    y: &'a [usize],
    sample_weight: &'a [f64],
    alpha: f64,
    active: [bool; K],
}

/// Buffers one loss-and-gradient evaluation needs, kept between evaluations.
#[derive(Debug, Default)]
pub(crate) struct EvalBuffers {
    /// Per sample and class: the scores, then the weighted `P - Y`.
    diff: Vec<f64>,
    /// Per sample: weighted log-loss.
    losses: Vec<f64>,
}

impl<'a> SparseProblem<'a> {
    /// A problem over the design matrix given by feature (`xt`: one row per feature, its
    /// columns the samples, in sample order), class indices `y` (each < 4), sample weights
    /// and L2 strength `alpha`. Classes with no sample are `inactive`: they get probability 0
    /// and their weights stay 0 (with them the optimum would not exist).
    pub(crate) fn new(xt: &'a Csr, y: &'a [usize], sample_weight: &'a [f64], alpha: f64) -> Self {
        assert_eq!(xt.n_cols, y.len(), "one matrix column per sample");
        let mut active = [false; K];
        for &c in y {
            active[c] = true;
        }
        SparseProblem {
            xt,
            y,
            sample_weight,
            alpha,
            active,
        }
    }

    pub(crate) fn active(&self) -> [bool; K] {
        self.active
    }

    pub(crate) fn n_params(&self) -> usize {
        (self.xt.n_rows() + 1) * K
    }

    /// Loss and gradient at `w` (layout: (f + 1) x K row-major, intercepts last).
    pub(crate) fn loss_grad(&self, w: &[f64]) -> (f64, Vec<f64>) {
        let mut grad = vec![0f64; w.len()];
        let loss = self.loss_grad_into(w, &mut grad, &mut EvalBuffers::default());
        (loss, grad)
    }

    /// Loss at `w`; the gradient is written into `grad` (same length as `w`).
    ///
    /// The scores `b + x_i W` are summed feature by feature in feature order, which is the
    /// order of each sample's sorted entries; then each sample's loss and weighted `P - Y`
    /// (samples in fixed chunks); then each feature's gradient over its samples in sample
    /// order (features in fixed chunks). No sum depends on the number of threads.
    pub(crate) fn loss_grad_into(&self, w: &[f64], grad: &mut [f64], buf: &mut EvalBuffers) -> f64 {
        let f = self.xt.n_rows();
        let n = self.y.len();
        let mut b = [0f64; K];
        b.copy_from_slice(&w[f * K..]);
        buf.diff.resize(n * K, 0.0);
        buf.losses.resize(n, 0.0);
        for z in buf.diff.chunks_exact_mut(K) {
            z.copy_from_slice(&b);
        }
        // Scores: each feature's weights added to its samples' scores, features in order
        // (one pass over the matrix; a feature's samples in ascending order).
        {
            let z: &mut [f64] = &mut buf.diff;
            for j in 0..f {
                let wj: [f64; K] = w[j * K..j * K + K].try_into().expect("K weights");
                let (lo, hi) = (self.xt.indptr[j], self.xt.indptr[j + 1]);
                for (&i, &v) in self.xt.indices[lo..hi].iter().zip(&self.xt.values[lo..hi]) {
                    let (i, v) = (i as usize * K, f64::from(v));
                    let zi: &mut [f64; K] = (&mut z[i..i + K]).try_into().expect("K classes");
                    for k in 0..K {
                        zi[k] += v * wj[k];
                    }
                }
            }
        }
        let active = self.active;
        // Per sample: weighted loss, and weighted P - Y in place of the scores (one exp per
        // active class).
        buf.diff
            .par_chunks_mut(ROW_CHUNK * K)
            .zip(buf.losses.par_chunks_mut(ROW_CHUNK))
            .enumerate()
            .for_each(|(c, (dchunk, lchunk))| {
                let start = c * ROW_CHUNK;
                for (r, (loss, d)) in lchunk
                    .iter_mut()
                    .zip(dchunk.chunks_exact_mut(K))
                    .enumerate()
                {
                    let i = start + r;
                    let z: [f64; K] = (&*d).try_into().expect("K scores");
                    let mut m = f64::NEG_INFINITY;
                    for k in 0..K {
                        if active[k] {
                            m = m.max(z[k]);
                        }
                    }
                    let mut e = [0f64; K];
                    let mut sum = 0.0;
                    for k in 0..K {
                        if active[k] {
                            // exp(0) is exactly 1: the largest score needs no exp call.
                            e[k] = if z[k] == m { 1.0 } else { (z[k] - m).exp() };
                            sum += e[k];
                        }
                    }
                    let s = self.sample_weight[i];
                    let yi = self.y[i];
                    *loss = s * (m + sum.ln() - z[yi]);
                    for k in 0..K {
                        let t = if k == yi { 1.0 } else { 0.0 };
                        d[k] = s * (e[k] / sum - t);
                    }
                }
            });
        let diff = &buf.diff;
        let data_loss: f64 = buf.losses.iter().sum();
        let alpha = self.alpha;
        // Features in fixed chunks (one rayon task per chunk); each feature's sum runs over
        // its samples in sample order.
        grad[..f * K]
            .par_chunks_mut(FEATURE_CHUNK * K)
            .enumerate()
            .for_each(|(c, gchunk)| {
                let first = c * FEATURE_CHUNK;
                for (r, g) in gchunk.chunks_exact_mut(K).enumerate() {
                    let j = first + r;
                    let (lo, hi) = (self.xt.indptr[j], self.xt.indptr[j + 1]);
                    let mut acc = [0f64; K];
                    for (&i, &v) in self.xt.indices[lo..hi].iter().zip(&self.xt.values[lo..hi]) {
                        let (i, v) = (i as usize * K, f64::from(v));
                        let d: &[f64; K] = diff[i..i + K].try_into().expect("K classes");
                        for k in 0..K {
                            acc[k] += v * d[k];
                        }
                    }
                    let wj = &w[j * K..j * K + K];
                    for k in 0..K {
                        g[k] = acc[k] + alpha * wj[k];
                    }
                }
            });
        let mut gb = [0f64; K];
        for d in diff.chunks_exact(K) {
            for k in 0..K {
                gb[k] += d[k];
            }
        }
        grad[f * K..].copy_from_slice(&gb);
        let penalty: f64 = dot(&w[..f * K], &w[..f * K]) * 0.5 * alpha;
        data_loss + penalty
    }
}

/// Softmax over the active classes (inactive ones get 0), with the largest score subtracted
/// first so that no exponential overflows.
///
/// Never NaN: for finite scores the result is the usual softmax (bit for bit the same
/// arithmetic); scores that are NaN, infinite, or a mask with no active class go through
/// [`softmax_degenerate`], which still returns finite probabilities summing to 1.
pub(crate) fn softmax_masked(z: &[f64; K], active: &[bool; K]) -> [f64; K] {
    let m = (0..K)
        .filter(|&k| active[k])
        .map(|k| z[k])
        .fold(f64::NEG_INFINITY, f64::max);
    let mut p = [0f64; K];
    let mut sum = 0.0;
    for k in 0..K {
        if active[k] {
            p[k] = (z[k] - m).exp();
            sum += p[k];
        }
    }
    // With a finite maximum and no NaN, the maximum's own term is exp(0) = 1, so the sum is
    // at least 1; anything else (NaN, an infinite maximum, no active class) fails this test.
    if sum.is_nan() || sum < 1.0 {
        return softmax_degenerate(z, active);
    }
    for v in &mut p {
        *v /= sum;
    }
    p
}

/// The softmax's limit for scores a finite softmax cannot take: NaN scores count as minus
/// infinity; if some active scores are plus infinity, they share the probability equally;
/// if every usable active score is minus infinity, the active classes share it equally; with
/// no active class, all classes do.
fn softmax_degenerate(z: &[f64; K], active: &[bool; K]) -> [f64; K] {
    let usable = |k: usize| active[k] && !z[k].is_nan();
    let m = (0..K)
        .filter(|&k| usable(k))
        .map(|k| z[k])
        .fold(f64::NEG_INFINITY, f64::max);
    let mut p = [0f64; K];
    for k in 0..K {
        p[k] = if m == f64::INFINITY {
            f64::from(u8::from(usable(k) && z[k] == f64::INFINITY))
        } else if m.is_finite() {
            if usable(k) {
                (z[k] - m).exp()
            } else {
                0.0
            }
        } else {
            f64::from(u8::from(active[k]))
        };
    }
    if !p.iter().any(|&v| v > 0.0) {
        p = [1.0; K];
    }
    let sum: f64 = p.iter().sum();
    for v in &mut p {
        *v /= sum;
    }
    p
}

/// A vector element read as `f64`: `f64` itself, or an `f32` of the L-BFGS memory.
trait Elem: Copy {
    fn get(self) -> f64;
}

impl Elem for f64 {
    #[inline(always)]
    fn get(self) -> f64 {
        self
    }
}

impl Elem for f32 {
    #[inline(always)]
    fn get(self) -> f64 {
        f64::from(self)
    }
}

/// Dot product in `f64`, summed in a fixed order (two interleaved partial sums, then
/// combined).
fn dot<A: Elem, B: Elem>(a: &[A], b: &[B]) -> f64 {
    let mut acc = [0f64; 2];
    let mut ca = a.chunks_exact(2);
    let mut cb = b.chunks_exact(2);
    for (x, y) in (&mut ca).zip(&mut cb) {
        acc[0] += x[0].get() * y[0].get();
        acc[1] += x[1].get() * y[1].get();
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x.get() * y.get();
    }
    acc[0] + acc[1] + tail
}

/// The L2 norm.
pub(crate) fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// `y += a * x`.
fn axpy<X: Elem>(a: f64, x: &[X], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi.get();
    }
}

/// `y += a * x`, then returns `y . z` (same summation order as [`dot`]).
fn axpy_dot<X: Elem, Z: Elem>(a: f64, x: &[X], y: &mut [f64], z: &[Z]) -> f64 {
    let mut acc = [0f64; 2];
    let mut cy = y.chunks_exact_mut(2);
    let mut cx = x.chunks_exact(2);
    let mut cz = z.chunks_exact(2);
    for ((yc, xc), zc) in (&mut cy).zip(&mut cx).zip(&mut cz) {
        yc[0] += a * xc[0].get();
        yc[1] += a * xc[1].get();
        acc[0] += yc[0] * zc[0].get();
        acc[1] += yc[1] * zc[1].get();
    }
    let mut tail = 0.0;
    for ((yi, xi), zi) in cy
        .into_remainder()
        .iter_mut()
        .zip(cx.remainder())
        .zip(cz.remainder())
    {
        *yi += a * xi.get();
        tail += *yi * zi.get();
    }
    acc[0] + acc[1] + tail
}

/// `y *= a`, then returns `y . z` (same summation order as [`dot`]).
fn scale_dot<Z: Elem>(a: f64, y: &mut [f64], z: &[Z]) -> f64 {
    let mut acc = [0f64; 2];
    let mut cy = y.chunks_exact_mut(2);
    let mut cz = z.chunks_exact(2);
    for (yc, zc) in (&mut cy).zip(&mut cz) {
        yc[0] *= a;
        yc[1] *= a;
        acc[0] += yc[0] * zc[0].get();
        acc[1] += yc[1] * zc[1].get();
    }
    let mut tail = 0.0;
    for (yi, zi) in cy.into_remainder().iter_mut().zip(cz.remainder()) {
        *yi *= a;
        tail += *yi * zi.get();
    }
    acc[0] + acc[1] + tail
}

/// Pairs of the L-BFGS memory (scikit-learn's and linfa's choice).
const MEMORY: usize = 10;
/// Sufficient-decrease constant of the Wolfe conditions.
const WOLFE_C1: f64 = 1e-4;
/// Curvature constant of the strong Wolfe conditions (the usual one for quasi-Newton).
const WOLFE_C2: f64 = 0.9;
/// Relative precision assumed for the summed loss (see the approximate Wolfe conditions in
/// [`Lbfgs::line_search`]).
const LOSS_PRECISION: f64 = 1e-12;
/// Most loss evaluations in one line search.
const MAX_LINE_SEARCH: usize = 40;

/// A point with its loss and gradient.
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
}

/// One stored L-BFGS pair: step `s`, gradient change `y` (both computed in `f64` and stored
/// in `f32`: the memory is most of the optimizer's, and the pairs only shape the direction),
/// `1 / (s . y)` of the stored values.
struct Pair {
    s: Vec<f32>,
    y: Vec<f32>,
    rho: f64,
}

/// A line-search trial: step length, loss, directional derivative.
#[derive(Clone, Copy)]
struct Trial {
    t: f64,
    f: f64,
    dg: f64,
}

/// The minimizer of the cubic through two trials (Nocedal & Wright, eq. 3.59), if defined.
fn cubic_min(a: Trial, b: Trial) -> Option<f64> {
    let d1 = a.dg + b.dg - 3.0 * (a.f - b.f) / (a.t - b.t);
    let d2sq = d1 * d1 - a.dg * b.dg;
    if d2sq.is_nan() || d2sq < 0.0 {
        return None;
    }
    let d2 = (b.t - a.t).signum() * d2sq.sqrt();
    let t = b.t - (b.t - a.t) * (b.dg + d2 - d1) / (b.dg - a.dg + 2.0 * d2);
    t.is_finite().then_some(t)
}

/// The optimizer's working state: current point, trial point, direction, memory.
struct Lbfgs<'p, 'a> {
    problem: &'p SparseProblem<'a>,
    buf: EvalBuffers,
    cur: Point,
    trial: Point,
    d: Vec<f64>,
    memory: VecDeque<Pair>,
    evaluations: u64,
}

impl Lbfgs<'_, '_> {
    /// Evaluates the trial point `cur.x + t d`; returns the trial with its directional derivative.
    fn eval(&mut self, t: f64) -> Trial {
        for ((xt, xc), di) in self.trial.x.iter_mut().zip(&self.cur.x).zip(&self.d) {
            *xt = xc + t * di;
        }
        self.trial.f = self
            .problem
            .loss_grad_into(&self.trial.x, &mut self.trial.g, &mut self.buf);
        self.evaluations += 1;
        Trial {
            t,
            f: self.trial.f,
            dg: dot(&self.trial.g, &self.d),
        }
    }

    /// `d = -H g` by the two-loop recursion (steepest descent with no memory). Each pass
    /// over `d` applies one pair's update and takes the next pair's dot product with the
    /// updated `d`, so `d` is swept once per pair instead of twice.
    fn direction(&mut self) {
        let d = &mut self.d;
        for (di, gi) in d.iter_mut().zip(&self.cur.g) {
            *di = -gi;
        }
        let m = self.memory.len();
        if m == 0 {
            return;
        }
        let mem = &self.memory;
        let mut a = [0f64; MEMORY];
        // First loop, newest to oldest: a_i = rho_i s_i.d; d -= a_i y_i.
        let mut sd = dot(&mem[m - 1].s, d);
        for i in (0..m).rev() {
            a[i] = mem[i].rho * sd;
            sd = if i > 0 {
                axpy_dot(-a[i], &mem[i].y, d, &mem[i - 1].s)
            } else {
                axpy(-a[i], &mem[i].y, d);
                0.0
            };
        }
        // Scale by gamma = s.y / y.y of the newest pair, then the second loop, oldest to
        // newest: b_i = rho_i y_i.d; d += (a_i - b_i) s_i.
        let last = &mem[m - 1];
        let gamma = 1.0 / (last.rho * dot(&last.y, &last.y));
        let mut yd = scale_dot(gamma, d, &mem[0].y);
        for i in 0..m {
            let c = a[i] - mem[i].rho * yd;
            yd = if i + 1 < m {
                axpy_dot(c, &mem[i].s, d, &mem[i + 1].y)
            } else {
                axpy(c, &mem[i].s, d);
                0.0
            };
        }
    }

    /// Finds a step along `d` satisfying the strong Wolfe conditions (trying `t0` first)
    /// and leaves that point in `trial`. Falls back to the best point with sufficient
    /// decrease if the conditions cannot be met; `false` if there is none.
    fn line_search(&mut self, t0: f64, dg0: f64) -> bool {
        let f0 = self.cur.f;
        let start = Trial {
            t: 0.0,
            f: f0,
            dg: dg0,
        };
        let armijo = |tr: &Trial| tr.f.is_finite() && tr.f <= f0 + WOLFE_C1 * tr.t * dg0;
        let curvature = |tr: &Trial| tr.dg.abs() <= -WOLFE_C2 * dg0;
        // Near the optimum the decrease a step promises falls below the rounding error of
        // the summed loss, and the sufficient-decrease test becomes a coin toss. There
        // (Hager & Zhang's approximate Wolfe conditions) a step is accepted on the curvature
        // condition if the loss did not rise by more than that rounding allowance.
        let noise = LOSS_PRECISION * f0.abs();
        let approx_wolfe = |tr: &Trial| {
            -tr.t * dg0 <= noise && tr.f.is_finite() && tr.f <= f0 + noise && curvature(tr)
        };
        let mut prev = start;
        let mut t = t0;
        let mut used = 0;
        let (mut lo, mut hi);
        loop {
            if used == MAX_LINE_SEARCH {
                return self.fallback(prev);
            }
            let tr = self.eval(t);
            used += 1;
            if approx_wolfe(&tr) {
                return true;
            }
            if !armijo(&tr) || (prev.t > 0.0 && tr.f >= prev.f) {
                (lo, hi) = (prev, tr);
                break;
            }
            if curvature(&tr) {
                return true;
            }
            if tr.dg >= 0.0 {
                (lo, hi) = (tr, prev);
                break;
            }
            prev = tr;
            t *= 2.0;
        }
        // Zoom: `lo` has sufficient decrease and the lowest loss so far; the minimizer lies
        // between `lo` and `hi`.
        while used < MAX_LINE_SEARCH {
            let (a, b) = if lo.t < hi.t {
                (lo.t, hi.t)
            } else {
                (hi.t, lo.t)
            };
            let width = b - a;
            if width <= 1e-14 * b {
                break;
            }
            let mid = 0.5 * (a + b);
            let t = match (hi.f.is_finite() && hi.dg.is_finite())
                .then(|| cubic_min(lo, hi))
                .flatten()
            {
                Some(c) if c > a + 0.1 * width && c < b - 0.1 * width => c,
                _ => mid,
            };
            let tr = self.eval(t);
            used += 1;
            if approx_wolfe(&tr) {
                return true;
            }
            if !armijo(&tr) || tr.f >= lo.f {
                hi = tr;
            } else {
                if curvature(&tr) {
                    return true;
                }
                if tr.dg * (hi.t - lo.t) >= 0.0 {
                    hi = lo;
                }
                lo = tr;
            }
        }
        self.fallback(lo)
    }

    /// Accepts `best` (a step with sufficient decrease) if there is one.
    fn fallback(&mut self, best: Trial) -> bool {
        if best.t > 0.0 && best.f < self.cur.f {
            self.eval(best.t);
            true
        } else {
            false
        }
    }

    /// Moves to the accepted trial point and updates the memory.
    fn accept(&mut self) {
        let mut pair = if self.memory.len() == MEMORY {
            self.memory.pop_front().expect("memory is full")
        } else {
            Pair {
                s: vec![0.0; self.d.len()],
                y: vec![0.0; self.d.len()],
                rho: 0.0,
            }
        };
        for (s, (xn, xo)) in pair.s.iter_mut().zip(self.trial.x.iter().zip(&self.cur.x)) {
            *s = (xn - xo) as f32;
        }
        for (y, (gn, go)) in pair.y.iter_mut().zip(self.trial.g.iter().zip(&self.cur.g)) {
            *y = (gn - go) as f32;
        }
        let sy = dot(&pair.s, &pair.y);
        std::mem::swap(&mut self.cur, &mut self.trial);
        // Only pairs with positive curvature keep the approximation positive definite (the
        // strong Wolfe conditions guarantee it; a fallback step may not).
        if sy > f64::EPSILON * dot(&pair.y, &pair.y) {
            pair.rho = 1.0 / sy;
            self.memory.push_back(pair);
        }
    }
}

/// What the optimizer reached.
#[derive(Debug, Clone)]
pub(crate) struct Solution {
    pub(crate) params: Vec<f64>,
    pub(crate) iterations: u64,
    pub(crate) loss: f64,
    /// L2 norm of the summed-loss gradient.
    pub(crate) gradient_norm: f64,
    pub(crate) reason: String,
}

/// Runs L-BFGS from `start` (zero when `None`; else a vector of [`SparseProblem::n_params`]
/// numbers) until the L2 norm of the summed-loss gradient is at most `grad_tol`,
/// `max_iterations` steps were taken, or no step along the L-BFGS direction nor along the
/// steepest descent lowers the loss. A panic inside is caught and returned as an error.
pub(crate) fn minimize(
    problem: &SparseProblem<'_>,
    max_iterations: u64,
    grad_tol: f64,
    start: Option<Vec<f64>>,
) -> Result<Solution, String> {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_lbfgs(problem, max_iterations, grad_tol, start)
    }));
    let sol = match run {
        Ok(sol) => sol,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            return Err(format!("optimizer panicked: {msg}"));
        }
    };
    if !sol.loss.is_finite() || sol.params.iter().any(|v| !v.is_finite()) {
        return Err("optimizer produced non-finite parameters".to_string());
    }
    Ok(sol)
}

fn run_lbfgs(
    problem: &SparseProblem<'_>,
    max_iterations: u64,
    grad_tol: f64,
    start: Option<Vec<f64>>,
) -> Solution {
    let n = problem.n_params();
    let point = || Point {
        x: vec![0.0; n],
        f: 0.0,
        g: vec![0.0; n],
    };
    let mut cur = point();
    if let Some(x) = start {
        assert_eq!(x.len(), n, "one starting value per parameter");
        cur.x = x;
    }
    let mut opt = Lbfgs {
        problem,
        buf: EvalBuffers::default(),
        cur,
        trial: point(),
        d: vec![0.0; n],
        memory: VecDeque::with_capacity(MEMORY),
        evaluations: 1,
    };
    opt.cur.f = problem.loss_grad_into(&opt.cur.x, &mut opt.cur.g, &mut opt.buf);
    let mut iterations = 0;
    let mut gnorm = norm(&opt.cur.g);
    let reason = loop {
        if gnorm <= grad_tol {
            break "gradient below tolerance".to_string();
        }
        if iterations >= max_iterations {
            break "maximum iterations reached".to_string();
        }
        opt.direction();
        let mut dg = dot(&opt.cur.g, &opt.d);
        if dg.is_nan() || dg >= 0.0 {
            // Not a descent direction (rounding): forget the memory.
            opt.memory.clear();
            opt.direction();
            dg = dot(&opt.cur.g, &opt.d);
        }
        // With no memory the direction is -g: a first step of unit length.
        let t0 = if opt.memory.is_empty() {
            1.0 / gnorm
        } else {
            1.0
        };
        if !opt.line_search(t0, dg) {
            if !opt.memory.is_empty() {
                opt.memory.clear();
                continue;
            }
            break "line search found no lower loss along the steepest descent".to_string();
        }
        opt.accept();
        iterations += 1;
        gnorm = norm(&opt.cur.g);
    };
    // The evaluation count goes into the reason, so the model file's format is unchanged.
    let reason = format!(
        "{reason}; {} loss-and-gradient evaluations",
        opt.evaluations
    );
    Solution {
        params: opt.cur.x,
        iterations,
        loss: opt.cur.f,
        gradient_norm: gnorm,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Defence in depth: whatever the scores (huge, infinite, NaN) and the mask, the
    /// probabilities are finite, in [0, 1], zero for inactive labels (when any is active) and
    /// sum to 1; finite scores give exactly the usual max-subtracted softmax.
    #[test]
    fn softmax_never_gives_nan() {
        let specials = [
            0.0,
            1.0,
            -3.5,
            1e308,
            -1e308,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let masks = [
            [true; K],
            [true, true, false, false],
            [false, true, false, true],
            [false; K],
        ];
        let mut checked = 0;
        for a in specials {
            for b in specials {
                for c in [0.0, f64::NAN, 1e308] {
                    for mask in &masks {
                        let z = [a, b, c, -1.0];
                        let p = softmax_masked(&z, mask);
                        let sum: f64 = p.iter().sum();
                        assert!(
                            p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
                            "{z:?} {mask:?} -> {p:?}"
                        );
                        assert!((sum - 1.0).abs() < 1e-12, "{z:?} {mask:?} -> {p:?}");
                        if mask.iter().any(|&m| m) {
                            for k in 0..K {
                                if !mask[k] {
                                    assert_eq!(p[k], 0.0, "{z:?} {mask:?} -> {p:?}");
                                }
                            }
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 10 * 10 * 3 * 4);
        // Limits: an infinite score takes everything; NaN counts as minus infinity.
        let p = softmax_masked(&[f64::INFINITY, 0.0, f64::INFINITY, 5.0], &[true; K]);
        assert_eq!(p, [0.5, 0.0, 0.5, 0.0]);
        let p = softmax_masked(&[f64::NAN, 0.0, 0.0, f64::NAN], &[true; K]);
        assert_eq!(p, [0.0, 0.5, 0.5, 0.0]);
        let p = softmax_masked(&[1e308, -1e308, 0.0, 0.0], &[true; K]);
        assert_eq!(p, [1.0, 0.0, 0.0, 0.0]);
        // Finite scores: the plain formula, bit for bit.
        let z = [0.3, -1.2, 2.5, 0.0];
        let m = 2.5f64;
        let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
        let s: f64 = e.iter().sum();
        let p = softmax_masked(&z, &[true; K]);
        for k in 0..K {
            assert_eq!(p[k].to_bits(), (e[k] / s).to_bits());
        }
    }

    fn toy() -> (Csr, Vec<usize>) {
        let rows = vec![
            SparseVec(vec![(0, 1.0)]),
            SparseVec(vec![(0, 0.8), (2, 0.6)]),
            SparseVec(vec![(1, 1.0)]),
            SparseVec(vec![(1, 0.6), (2, 0.8)]),
            SparseVec(vec![(2, 1.0)]),
        ];
        (Csr::from_rows(&rows, 3), vec![0, 0, 1, 1, 3])
    }

    /// The feature-major matrix filled in any order and then sorted equals the transpose of
    /// the sample-major one, and transposing twice gives the matrix back; a full row refuses
    /// one more entry.
    #[test]
    fn fill_and_sort_give_the_transpose() {
        let (x, _) = toy();
        let t = x.transpose();
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.indptr, vec![0, 2, 4, 7]);
        assert_eq!(t.indices, vec![0, 1, 2, 3, 1, 3, 4]);
        let back = t.transpose();
        assert_eq!(back.indptr, x.indptr);
        assert_eq!(back.indices, x.indices);
        assert_eq!(back.values, x.values);
        // Samples given back to front.
        let mut m = Csr::with_row_counts(&[2, 2, 3], 5);
        let mut next = m.indptr[..3].to_vec();
        for i in (0..5).rev() {
            for (j, v) in x.row_entries(i) {
                assert!(m.fill(&mut next, j, i as u32, v));
            }
        }
        assert!(!m.fill(&mut next, 0, 0, 1.0), "row 0 is full");
        assert_ne!(m.indices, t.indices);
        m.sort_rows();
        assert_eq!(
            (m.indptr, m.indices, m.values),
            (t.indptr, t.indices, t.values)
        );
    }

    /// The analytic gradient agrees with central finite differences of the loss.
    #[test]
    fn gradient_matches_finite_differences() {
        let (x, y) = toy();
        let xt = x.transpose();
        let sw = vec![1.0, 2.0, 1.0, 0.5, 1.0];
        let prob = SparseProblem::new(&xt, &y, &sw, 0.7);
        assert_eq!(prob.active(), [true, true, false, true]);
        let w: Vec<f64> = (0..prob.n_params())
            .map(|i| ((i * 7 % 11) as f64 - 5.0) / 10.0)
            .collect();
        let mut w = w;
        // Inactive class column stays at zero during training; keep it zero here too.
        for r in 0..4 {
            w[r * K + 2] = 0.0;
        }
        let (_, g) = prob.loss_grad(&w);
        for i in 0..w.len() {
            if i % K == 2 {
                assert_eq!(g[i], 0.0, "inactive class gets no gradient");
                continue;
            }
            let h = 1e-6;
            let mut wp = w.clone();
            wp[i] += h;
            let mut wm = w.clone();
            wm[i] -= h;
            let num = (prob.loss_grad(&wp).0 - prob.loss_grad(&wm).0) / (2.0 * h);
            assert!((num - g[i]).abs() < 1e-6, "param {i}: {num} vs {}", g[i]);
        }
    }

    /// Loss, gradient and the whole optimizer run give the same bits on 1 and 3 threads
    /// (more rows and features than one chunk, so several tasks run).
    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let rows: Vec<SparseVec> = (0..700)
            .map(|i| {
                let mut r: Vec<(usize, f64)> = (0..5)
                    .map(|k| ((i * 37 + k * 211) % 1300, 0.1 + ((i + k) % 7) as f64 / 10.0))
                    .collect();
                r.sort_by_key(|e| e.0);
                r.dedup_by_key(|e| e.0);
                SparseVec(r)
            })
            .collect();
        let xt = Csr::from_rows(&rows, 1300).transpose();
        let y: Vec<usize> = (0..700).map(|i| (i * 7 + i / 3) % K).collect();
        let sw: Vec<f64> = (0..700).map(|i| 0.5 + (i % 3) as f64).collect();
        let prob = SparseProblem::new(&xt, &y, &sw, 0.3);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let w: Vec<f64> = (0..prob.n_params())
                    .map(|i| ((i * 13 % 17) as f64 - 8.0) / 50.0)
                    .collect();
                let (l, g) = prob.loss_grad(&w);
                let sol = minimize(&prob, 30, 1e-6, None).unwrap();
                (l.to_bits(), g, sol.params, sol.iterations, sol.reason)
            })
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a.0, b.0);
        assert!(a
            .1
            .iter()
            .zip(&b.1)
            .all(|(p, q)| p.to_bits() == q.to_bits()));
        assert!(a
            .2
            .iter()
            .zip(&b.2)
            .all(|(p, q)| p.to_bits() == q.to_bits()));
        assert_eq!((a.3, &a.4), (b.3, &b.4));
    }

    #[test]
    fn minimize_reaches_a_stationary_point() {
        let (x, y) = toy();
        let xt = x.transpose();
        let sw = vec![1.0; 5];
        let prob = SparseProblem::new(&xt, &y, &sw, 0.1);
        let sol = minimize(&prob, 500, 1e-8, None).unwrap();
        assert!(sol.gradient_norm <= 1e-8, "{sol:?}");
        let (_, g) = prob.loss_grad(&sol.params);
        assert_eq!(norm(&g), sol.gradient_norm);
        assert!(sol.loss < prob.loss_grad(&vec![0.0; prob.n_params()]).0);
    }

    /// Started at the solution of a nearby problem (the same data less a few samples), the
    /// optimizer reaches the same stationary point as from zero, in fewer iterations; started
    /// at its own solution it stops at once.
    #[test]
    fn a_warm_start_reaches_the_same_point_in_fewer_iterations() {
        let rows: Vec<SparseVec> = (0..400)
            .map(|i| {
                let mut r: Vec<(usize, f64)> = (0..6)
                    .map(|k| ((i * 31 + k * 97) % 300, 0.2 + ((i * k) % 5) as f64 / 10.0))
                    .collect();
                r.sort_by_key(|e| e.0);
                r.dedup_by_key(|e| e.0);
                SparseVec(r)
            })
            .collect();
        let y: Vec<usize> = (0..400).map(|i| (i * 5 + i / 7) % K).collect();
        let (n_small, alpha, tol) = (360, 0.5, 1e-9);
        let big_t = Csr::from_rows(&rows, 300).transpose();
        let small_t = Csr::from_rows(&rows[..n_small], 300).transpose();
        let (sw_big, sw_small) = (vec![1.0; 400], vec![1.0; n_small]);
        let big = SparseProblem::new(&big_t, &y, &sw_big, alpha);
        let small = SparseProblem::new(&small_t, &y[..n_small], &sw_small, alpha);
        let from_big = minimize(&big, 1000, tol, None).unwrap();
        let cold = minimize(&small, 1000, tol, None).unwrap();
        let warm = minimize(&small, 1000, tol, Some(from_big.params.clone())).unwrap();
        assert!(cold.gradient_norm <= tol && warm.gradient_norm <= tol);
        assert!(
            warm.iterations < cold.iterations,
            "warm {} vs cold {}",
            warm.iterations,
            cold.iterations
        );
        let diff = cold
            .params
            .iter()
            .zip(&warm.params)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-6, "largest difference {diff}");
        let again = minimize(&big, 1000, tol, Some(from_big.params.clone())).unwrap();
        assert_eq!(again.iterations, 0);
        assert_eq!(again.params, from_big.params);
    }
}
