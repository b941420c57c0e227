//! The work behind `Demo::Model::interpolate`: bilinear resampling of a grid, with the checks
//! that turn bad input into a `RangeError`. Pure and allocation-bounded: every style of
//! servant calls [`interpolate`], so they all answer the same thing for the same input.
//!
//! # The formula
//!
//! For a grid of `r` rows and `c` columns and a factor `f`, the result has
//! `r' = floor((r - 1) * f) + 1` rows and `c' = floor((c - 1) * f) + 1` columns. Its cell
//! `(i, j)` samples the input at `y = i / f`, `x = j / f` (clamped to the last row and column):
//! with `y0 = floor(y)`, `x0 = floor(x)`, `y1 = min(y0 + 1, r - 1)`, `x1 = min(x0 + 1, c - 1)`,
//! `ty = y - y0`, `tx = x - x0`,
//!
//! ```text
//! out[i][j] = (1 - ty) * ((1 - tx) * g[y0][x0] + tx * g[y0][x1])
//!           +      ty  * ((1 - tx) * g[y1][x0] + tx * g[y1][x1])
//! ```
//!
//! computed in `f64` and rounded to `f32` once. A factor of 1 returns the grid unchanged; 2
//! inserts one interpolated sample between neighbours; 0.5 keeps every other sample.

use crate::generated::demo::{Grid, RangeError};

/// The most values a result may hold (4 MiB of floats): a larger one is a `RangeError`, so a
/// request can never make the server allocate without bound.
pub const MAX_CELLS: usize = 1 << 20;

/// Resamples `data` by `factor` (see the module docs), or says why it cannot.
pub fn interpolate(data: &[Vec<f32>], factor: f32) -> Result<Grid, RangeError> {
    let (rows, cols) = check(data, factor)?;
    let out_rows = scaled_len(rows, factor);
    let out_cols = scaled_len(cols, factor);
    if out_rows * out_cols > MAX_CELLS as f64 {
        return Err(range_error(format!(
            "factor {factor} would make a {out_rows}x{out_cols} grid, more than {MAX_CELLS} values"
        )));
    }
    // Both sizes are at most MAX_CELLS here, so the casts are exact.
    let (out_rows, out_cols) = (out_rows as usize, out_cols as usize);
    let f = f64::from(factor);
    let sample = |pos: usize, len: usize| -> (usize, usize, f64) {
        let p = (pos as f64 / f).min((len - 1) as f64);
        // `p` is within [0, len - 1], so the cast cannot truncate a meaningful value.
        let p0 = p.floor() as usize;
        let p1 = (p0 + 1).min(len - 1);
        (p0, p1, p - p0 as f64)
    };
    let xs: Vec<(usize, usize, f64)> = (0..out_cols).map(|j| sample(j, cols)).collect();
    let mut out = Vec::with_capacity(out_rows);
    for i in 0..out_rows {
        let (y0, y1, ty) = sample(i, rows);
        let (r0, r1) = (&data[y0], &data[y1]);
        let row = xs
            .iter()
            .map(|&(x0, x1, tx)| {
                let top = (1.0 - tx) * f64::from(r0[x0]) + tx * f64::from(r0[x1]);
                let bottom = (1.0 - tx) * f64::from(r1[x0]) + tx * f64::from(r1[x1]);
                ((1.0 - ty) * top + ty * bottom) as f32
            })
            .collect();
        out.push(row);
    }
    Ok(out)
}

/// A `RangeError` saying `reason`.
fn range_error(reason: impl Into<String>) -> RangeError {
    RangeError {
        reason: reason.into(),
    }
}

/// The size of the resampled axis, `floor((len - 1) * factor) + 1`, as a float (it may be
/// huge).
fn scaled_len(len: usize, factor: f32) -> f64 {
    ((len - 1) as f64 * f64::from(factor)).floor() + 1.0
}

/// Checks the input: a finite factor above 0, at least one row, every row as long as the
/// first and not empty, every value finite. Returns `(rows, columns)`.
pub fn check(data: &[Vec<f32>], factor: f32) -> Result<(usize, usize), RangeError> {
    if !factor.is_finite() || factor <= 0.0 {
        return Err(range_error(format!(
            "factor must be finite and greater than 0, got {factor}"
        )));
    }
    let Some(first) = data.first() else {
        return Err(range_error("the grid has no rows"));
    };
    let cols = first.len();
    if cols == 0 {
        return Err(range_error("the grid has rows without values"));
    }
    for (i, row) in data.iter().enumerate() {
        if row.len() != cols {
            return Err(range_error(format!(
                "ragged grid: row {i} has {} values, row 0 has {cols}",
                row.len()
            )));
        }
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(range_error(format!(
                "the value at row {i}, column {j} is not finite"
            )));
        }
    }
    Ok((data.len(), cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(data: &[Vec<f32>], factor: f32) -> String {
        match interpolate(data, factor) {
            Err(e) => e.reason,
            Ok(g) => panic!("expected a RangeError, got {g:?}"),
        }
    }

    #[test]
    fn factor_one_is_identity() {
        let g = vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]];
        assert_eq!(interpolate(&g, 1.0).unwrap(), g);
    }

    #[test]
    fn factor_two_inserts_midpoints() {
        let g = vec![vec![0.0, 2.0], vec![4.0, 6.0]];
        let out = interpolate(&g, 2.0).unwrap();
        assert_eq!(
            out,
            vec![
                vec![0.0, 1.0, 2.0],
                vec![2.0, 3.0, 4.0],
                vec![4.0, 5.0, 6.0]
            ]
        );
    }

    #[test]
    fn factor_half_keeps_every_other_sample() {
        let g: Grid = (0..5)
            .map(|i| (0..5).map(|j| (i * 10 + j) as f32).collect())
            .collect();
        let out = interpolate(&g, 0.5).unwrap();
        assert_eq!(
            out,
            vec![
                vec![0.0, 2.0, 4.0],
                vec![20.0, 22.0, 24.0],
                vec![40.0, 42.0, 44.0]
            ]
        );
    }

    #[test]
    fn single_cell_stays_single() {
        assert_eq!(interpolate(&[vec![7.5]], 3.0).unwrap(), vec![vec![7.5]]);
    }

    #[test]
    fn non_integer_factor_samples_between() {
        // 1 row of 3 values, factor 1.5: floor(2 * 1.5) + 1 = 4 columns at x = 0, 2/3, 4/3, 2.
        let out = interpolate(&[vec![0.0, 3.0, 6.0]], 1.5).unwrap();
        assert_eq!(out, vec![vec![0.0, 2.0, 4.0, 6.0]]);
    }

    #[test]
    fn bad_input_is_a_range_error() {
        assert_eq!(reason(&[], 1.0), "the grid has no rows");
        assert_eq!(reason(&[vec![]], 1.0), "the grid has rows without values");
        assert_eq!(
            reason(&[vec![1.0, 2.0], vec![3.0]], 1.0),
            "ragged grid: row 1 has 1 values, row 0 has 2"
        );
        assert_eq!(
            reason(&[vec![1.0]], 0.0),
            "factor must be finite and greater than 0, got 0"
        );
        assert_eq!(
            reason(&[vec![1.0]], -2.0),
            "factor must be finite and greater than 0, got -2"
        );
        assert!(reason(&[vec![1.0]], f32::NAN).contains("got NaN"));
        assert!(reason(&[vec![1.0]], f32::INFINITY).contains("got inf"));
        assert_eq!(
            reason(&[vec![1.0, f32::NAN]], 1.0),
            "the value at row 0, column 1 is not finite"
        );
    }

    #[test]
    fn huge_results_are_refused() {
        let g = vec![vec![0.0; 3]; 3];
        assert_eq!(
            reason(&g, 1e6),
            "factor 1000000 would make a 2000001x2000001 grid, more than 1048576 values"
        );
        assert!(reason(&g, f32::MAX).contains("more than"));
    }
}
