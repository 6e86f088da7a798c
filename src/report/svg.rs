//! The burndown chart: a `Burndown` in, an SVG document out (plotters' SVG backend, no font
//! library: text is left to the viewer's sans-serif). One line per series, a total line when
//! there are several series, a dashed projection from the last total to zero, and a legend
//! naming every line and the projected finish date (or "no progress").

use crate::burndown::{Burndown, By, Projection};
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use plotters::prelude::*;

/// Distinct line colours (Tableau 10), cycled when there are more series.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const SIZE: (u32, u32) = (960, 480);

/// Render the chart. `title` defaults to one naming the grouping.
pub fn render(burndown: &Burndown, title: Option<&str>) -> Result<String> {
    let samples = &burndown.samples;
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        bail!("nothing to plot: no commits or records in the selected range");
    };
    let default_title = format!(
        "References to legacy tables by {}",
        match burndown.by {
            By::Table => "table",
            By::Access => "access",
            By::Component => "component",
        }
    );
    let title = title.unwrap_or(&default_title);
    let span = last.date - first.date;
    // The projection may extend the axis, but not beyond twice the history (at least 30
    // days): a finish years away would squash the history into a corner.
    let horizon = last.date + (span * 2).max(Duration::days(30));
    let projection_end: Option<(DateTime<Utc>, f64)> = match &burndown.projection {
        Projection::Finish { date, .. } => {
            let finish = end_of(*date);
            if finish <= horizon {
                Some((finish, 0.0))
            } else {
                // Clip at the horizon, on the same straight line.
                let total = last.total() as f64;
                let frac = (horizon - last.date).num_seconds() as f64
                    / (finish - last.date).num_seconds().max(1) as f64;
                Some((horizon, total * (1.0 - frac)))
            }
        }
        _ => None,
    };
    let mut x0 = first.date;
    let mut x1 = projection_end.map_or(last.date, |(d, _)| d.max(last.date));
    if x1 <= x0 {
        // A single point in time: give the axis a width.
        x0 -= Duration::days(1);
        x1 += Duration::days(1);
    }
    let y_max = samples
        .iter()
        .flat_map(|s| s.counts.values().copied().chain([s.total()]))
        .max()
        .unwrap_or(0);
    let y_top = (y_max as f64 * 1.1).max(y_max as f64 + 1.0);
    let show_total = burndown.series.len() > 1;

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        let err = |e: &dyn std::fmt::Display| anyhow!("drawing the chart: {e}");
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0f64..y_top)
            .map_err(|e| err(&e))?;
        let day_labels = (x1 - x0) >= Duration::days(2);
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|d: &DateTime<Utc>| {
                if day_labels {
                    d.format("%Y-%m-%d").to_string()
                } else {
                    d.format("%m-%d %H:%M").to_string()
                }
            })
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .y_desc("references")
            .draw()
            .map_err(|e| err(&e))?;

        for (i, name) in burndown.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let points: Vec<(DateTime<Utc>, f64)> = samples
                .iter()
                .map(|s| (s.date, s.counts.get(name).copied().unwrap_or(0) as f64))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        if show_total {
            let points: Vec<(DateTime<Utc>, f64)> =
                samples.iter().map(|s| (s.date, s.total() as f64)).collect();
            chart
                .draw_series(LineSeries::new(points, BLACK.stroke_width(3)))
                .map_err(|e| err(&e))?
                .label("total")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3))
                });
        }
        let projection_style = RGBColor(90, 90, 90).stroke_width(2);
        let label = burndown.projection.describe();
        match projection_end {
            Some(end) => {
                let line = vec![(last.date, last.total() as f64), end];
                chart
                    .draw_series(DashedLineSeries::new(line, 8, 5, projection_style))
                    .map_err(|e| err(&e))?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 8, y)], projection_style)
                    });
            }
            None => {
                // No line to draw, but the legend still says where things stand.
                chart
                    .draw_series(std::iter::empty::<PathElement<(DateTime<Utc>, f64)>>())
                    .map_err(|e| err(&e))?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 8, y)], projection_style)
                    });
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(out)
}

/// Noon of a projected day: the finish is a date, the axis is continuous time.
fn end_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()
}
