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
//! `O(nnz x classes)`; the gradient is computed in a fixed order (rows in parallel for the
//! scores, then columns in parallel for `X^T (P - Y)`, each column summed in row order), so
//! the result is byte-for-byte the same whatever the number of threads; argmin's L-BFGS with
//! the More-Thuente line search (linfa's own choice, memory 10) drives it; convergence is
//! judged on the gradient of the *mean* loss and reported, never hidden; and any panic inside
//! the optimizer is caught and returned as an error.
//!
//! [`Solver::Linfa`]: super::Solver::Linfa

use crate::features::SparseVec;
use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;
use rayon::prelude::*;
use std::sync::Mutex;

/// Number of classes (the four labels).
pub(crate) const K: usize = 4;

/// Rows per parallel task: fixed so that results never depend on the thread count.
const ROW_CHUNK: usize = 256;
/// Features per parallel task in the gradient pass.
const FEATURE_CHUNK: usize = 512;

/// A compressed sparse matrix (rows of sorted `(column, value)` entries).
#[derive(Debug, Clone)]
pub(crate) struct Csr {
    pub(crate) n_cols: usize,
    pub(crate) indptr: Vec<usize>,
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f64>,
}

impl Csr {
    /// Builds the matrix from feature rows.
    pub(crate) fn from_rows(rows: &[SparseVec], n_cols: usize) -> Csr {
        let nnz = rows.iter().map(SparseVec::len).sum();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        indptr.push(0);
        for r in rows {
            for &(j, v) in r.iter() {
                indices.push(j as u32);
                values.push(v);
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

    pub(crate) fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// The transpose, rows sorted by column index (row order inside each column kept).
    pub(crate) fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &j in &self.indices {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.n_cols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.indices.len()];
        let mut values = vec![0f64; self.values.len()];
        for i in 0..self.n_rows() {
            for p in self.indptr[i]..self.indptr[i + 1] {
                let j = self.indices[p] as usize;
                indices[next[j]] = i as u32;
                values[next[j]] = self.values[p];
                next[j] += 1;
            }
        }
        Csr {
            n_cols: self.n_rows(),
            indptr,
            indices,
            values,
        }
    }
}

/// A cached evaluation: parameters, loss, gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

/// The training problem handed to argmin.
pub(crate) struct SparseProblem<'a> {
    x: &'a Csr,
    xt: Csr,
    y: &'a [usize],
    sample_weight: &'a [f64],
    alpha: f64,
    active: [bool; K],
    cache: Mutex<Option<Evaluation>>,
}

impl<'a> SparseProblem<'a> {
    /// A problem over rows `x` with class indices `y` (each < 4), sample weights and L2
    /// strength `alpha`. Classes with no sample are `inactive`: they get probability 0 and
    /// their weights stay 0 (with them the optimum would not exist).
    pub(crate) fn new(x: &'a Csr, y: &'a [usize], sample_weight: &'a [f64], alpha: f64) -> Self {
        let mut active = [false; K];
        for &c in y {
            active[c] = true;
        }
        SparseProblem {
            x,
            xt: x.transpose(),
            y,
            sample_weight,
            alpha,
            active,
            cache: Mutex::new(None),
        }
    }

    pub(crate) fn active(&self) -> [bool; K] {
        self.active
    }

    pub(crate) fn n_params(&self) -> usize {
        (self.x.n_cols + 1) * K
    }

    /// Loss and gradient at `w` (layout: (f + 1) x K row-major, intercepts last).
    pub(crate) fn loss_grad(&self, w: &[f64]) -> (f64, Vec<f64>) {
        if let Ok(guard) = self.cache.lock() {
            if let Some((cw, l, g)) = guard.as_ref() {
                if cw.as_slice() == w {
                    return (*l, g.clone());
                }
            }
        }
        let (l, g) = self.compute(w);
        if let Ok(mut guard) = self.cache.lock() {
            *guard = Some((w.to_vec(), l, g.clone()));
        }
        (l, g)
    }

    fn compute(&self, w: &[f64]) -> (f64, Vec<f64>) {
        let f = self.x.n_cols;
        let n = self.x.n_rows();
        let b = &w[f * K..];
        // Per row: (weighted loss, weighted P - Y), rows in fixed chunks.
        let mut diff = vec![0f64; n * K];
        let mut losses = vec![0f64; n];
        diff.par_chunks_mut(ROW_CHUNK * K)
            .zip(losses.par_chunks_mut(ROW_CHUNK))
            .enumerate()
            .for_each(|(c, (dchunk, lchunk))| {
                let start = c * ROW_CHUNK;
                for (r, loss) in lchunk.iter_mut().enumerate() {
                    let i = start + r;
                    let mut z = [0f64; K];
                    z.copy_from_slice(b);
                    let (lo, hi) = (self.x.indptr[i], self.x.indptr[i + 1]);
                    for (&j, &v) in self.x.indices[lo..hi].iter().zip(&self.x.values[lo..hi]) {
                        let row = &w[j as usize * K..j as usize * K + K];
                        for k in 0..K {
                            z[k] += v * row[k];
                        }
                    }
                    let probs = softmax_masked(&z, &self.active);
                    let lse = log_sum_exp_masked(&z, &self.active);
                    let s = self.sample_weight[i];
                    let yi = self.y[i];
                    *loss = s * (lse - z[yi]);
                    for k in 0..K {
                        let t = if k == yi { 1.0 } else { 0.0 };
                        dchunk[r * K + k] = s * (probs[k] - t);
                    }
                }
            });
        let data_loss: f64 = losses.iter().sum();
        let mut grad = vec![0f64; (f + 1) * K];
        let alpha = self.alpha;
        // Features in fixed chunks (one rayon task per chunk, not per feature); inside, each
        // feature's sum runs in the same order as before, so the result is bit-identical.
        grad[..f * K]
            .par_chunks_mut(FEATURE_CHUNK * K)
            .enumerate()
            .for_each(|(c, gchunk)| {
                let first = c * FEATURE_CHUNK;
                for (r, g) in gchunk.chunks_exact_mut(K).enumerate() {
                    let j = first + r;
                    let (lo, hi) = (self.xt.indptr[j], self.xt.indptr[j + 1]);
                    let mut acc = [0f64; K];
                    acc.copy_from_slice(g);
                    for (&i, &v) in self.xt.indices[lo..hi].iter().zip(&self.xt.values[lo..hi]) {
                        let d = &diff[i as usize * K..i as usize * K + K];
                        for k in 0..K {
                            acc[k] += v * d[k];
                        }
                    }
                    let wj = &w[j * K..j * K + K];
                    for k in 0..K {
                        acc[k] += alpha * wj[k];
                    }
                    g.copy_from_slice(&acc);
                }
            });
        for i in 0..n {
            for k in 0..K {
                grad[f * K + k] += diff[i * K + k];
            }
        }
        let penalty: f64 = w[..f * K].iter().map(|v| v * v).sum::<f64>() * 0.5 * alpha;
        (data_loss + penalty, grad)
    }
}

/// Softmax over the active classes (inactive ones get 0).
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
    for v in &mut p {
        *v /= sum;
    }
    p
}

fn log_sum_exp_masked(z: &[f64; K], active: &[bool; K]) -> f64 {
    let m = (0..K)
        .filter(|&k| active[k])
        .map(|k| z[k])
        .fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = (0..K)
        .filter(|&k| active[k])
        .map(|k| (z[k] - m).exp())
        .sum();
    m + s.ln()
}

impl CostFunction for &SparseProblem<'_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Self::Param) -> Result<f64, argmin::core::Error> {
        let w = p
            .as_slice()
            .ok_or_else(|| argmin::core::Error::msg("parameter vector is not contiguous"))?;
        Ok(self.loss_grad(w).0)
    }
}

impl Gradient for &SparseProblem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Self::Param) -> Result<Array1<f64>, argmin::core::Error> {
        let w = p
            .as_slice()
            .ok_or_else(|| argmin::core::Error::msg("parameter vector is not contiguous"))?;
        Ok(Array1::from(self.loss_grad(w).1))
    }
}

/// What the optimizer reached.
#[derive(Debug, Clone)]
pub(crate) struct Solution {
    pub(crate) params: Vec<f64>,
    pub(crate) iterations: u64,
    pub(crate) loss: f64,
    pub(crate) gradient_norm: f64,
    pub(crate) reason: String,
}

/// Runs L-BFGS from zero. `grad_tol` bounds the L2 norm of the summed-loss gradient.
pub(crate) fn minimize(
    problem: &SparseProblem<'_>,
    max_iterations: u64,
    grad_tol: f64,
) -> Result<Solution, String> {
    let init = Array1::<f64>::zeros(problem.n_params());
    let linesearch = MoreThuenteLineSearch::new();
    let solver = LBFGS::new(linesearch, 10)
        .with_tolerance_grad(grad_tol)
        .map_err(|e| e.to_string())?
        .with_tolerance_cost(0.0)
        .map_err(|e| e.to_string())?;
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Executor::new(problem, solver)
            .configure(|state| state.param(init).max_iters(max_iterations))
            .run()
    }));
    let result = match run {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Err(format!("optimizer failed: {e}")),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            return Err(format!("optimizer panicked: {msg}"));
        }
    };
    let state = result.state;
    let iterations = state.get_iter();
    let reason = match state.get_termination_reason() {
        Some(TerminationReason::SolverConverged) => "gradient below tolerance".to_string(),
        Some(TerminationReason::MaxItersReached) => "maximum iterations reached".to_string(),
        Some(TerminationReason::SolverExit(s)) => s.clone(),
        Some(other) => format!("{other:?}"),
        None => "not terminated".to_string(),
    };
    // The final iterate is where the stopping test was made; after a failed line search
    // argmin leaves no current iterate and the best one seen is used instead.
    let best = state
        .param
        .or(state.best_param)
        .ok_or_else(|| "optimizer returned no parameters".to_string())?;
    let params = best.to_vec();
    let (loss, grad) = problem.loss_grad(&params);
    let gradient_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
    if !loss.is_finite() || params.iter().any(|v| !v.is_finite()) {
        return Err("optimizer produced non-finite parameters".to_string());
    }
    Ok(Solution {
        params,
        iterations,
        loss,
        gradient_norm,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn transpose_round_trips() {
        let (x, _) = toy();
        let t = x.transpose();
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.indptr, vec![0, 2, 4, 7]);
        assert_eq!(t.indices, vec![0, 1, 2, 3, 1, 3, 4]);
        let back = t.transpose();
        assert_eq!(back.indptr, x.indptr);
        assert_eq!(back.indices, x.indices);
        assert_eq!(back.values, x.values);
    }

    /// The analytic gradient agrees with central finite differences of the loss.
    #[test]
    fn gradient_matches_finite_differences() {
        let (x, y) = toy();
        let sw = vec![1.0, 2.0, 1.0, 0.5, 1.0];
        let prob = SparseProblem::new(&x, &y, &sw, 0.7);
        assert_eq!(prob.active(), [true, true, false, true]);
        let w: Vec<f64> = (0..prob.n_params())
            .map(|i| ((i * 7 % 11) as f64 - 5.0) / 10.0)
            .collect();
        let mut w = w;
        // Inactive class column stays at zero during training; keep it zero here too.
        for r in 0..4 {
            w[r * K + 2] = 0.0;
        }
        let (_, g) = prob.compute(&w);
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
            let num = (prob.compute(&wp).0 - prob.compute(&wm).0) / (2.0 * h);
            assert!((num - g[i]).abs() < 1e-6, "param {i}: {num} vs {}", g[i]);
        }
    }

    #[test]
    fn minimize_reaches_a_stationary_point() {
        let (x, y) = toy();
        let sw = vec![1.0; 5];
        let prob = SparseProblem::new(&x, &y, &sw, 0.1);
        let sol = minimize(&prob, 500, 1e-8).unwrap();
        assert!(sol.gradient_norm < 1e-6, "{sol:?}");
        assert!(sol.loss < prob.compute(&vec![0.0; prob.n_params()]).0);
    }
}
