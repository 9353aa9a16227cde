//! A plotters drawing backend that writes SVG and measures text itself.
//!
//! plotters measures text through its font module: on wasm32 that module asks the
//! browser's DOM for the size of a `<span>`, which panics under Node (no `window`), and
//! natively it needs a font file. This backend overrides both text hooks
//! (`estimate_text_size`, `draw_text`), so the font module is never reached: widths come
//! from [`text_width_em`], a fixed metric (CJK ideographs one em, Latin letters the
//! Helvetica advance widths), and text is written as `<text>` elements with a
//! font-family list that names common CJK fonts. The same input therefore gives the
//! same SVG, byte for byte, natively, in the browser and in Node. See CHARTS.md.

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle};
use plotters_backend::{DrawingBackend, DrawingErrorKind, FontStyle, FontTransform};
use std::fmt::Write;

/// Fonts asked for, in order: CJK fonts common on Linux servers, Windows, macOS and
/// Android first, so that Chinese never falls back to a font without the glyphs.
pub const FONT_FAMILY: &str = "'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', 'Hiragino Sans GB', 'Droid Sans Fallback', sans-serif";

/// The backend never fails; the error type exists because the trait wants one.
#[derive(Debug)]
pub struct SvgError;

impl std::fmt::Display for SvgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("svg backend error")
    }
}

impl std::error::Error for SvgError {}

/// Writes the drawing into `out` when presented.
pub struct SvgBackend<'a> {
    out: &'a mut String,
    body: String,
    width: u32,
    height: u32,
    presented: bool,
}

impl<'a> SvgBackend<'a> {
    /// A `width` × `height` pixel drawing that will be written to `out`.
    pub fn new(out: &'a mut String, width: u32, height: u32) -> SvgBackend<'a> {
        SvgBackend {
            out,
            body: String::new(),
            width,
            height,
            presented: false,
        }
    }

    /// Appends raw SVG markup (used for elements plotters has no notion of, such as a
    /// dashed line). The caller escapes any text it includes.
    pub fn raw(&mut self, markup: &str) {
        self.body.push_str(markup);
    }
}

/// The advance width of `text` in em, by the fixed metric described in the module doc.
pub fn text_width_em(text: &str) -> f64 {
    text.chars().map(char_width_em).sum()
}

/// One character's advance, in em.
fn char_width_em(c: char) -> f64 {
    // Helvetica advance widths (thousandths of an em) for printable ASCII, 32..=126.
    const ASCII: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
        556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
        722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
        667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
        556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
        500, 334, 260, 334, 584,
    ];
    let code = c as u32;
    match code {
        32..=126 => f64::from(ASCII[(code - 32) as usize]) / 1000.0,
        // CJK symbols and punctuation, kana, ideographs, Hangul, compatibility ideographs,
        // full-width forms: one em each.
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFF60 => 1.0,
        0x20000..=0x3FFFF => 1.0,
        // Everything else (≥, –, °, Latin letters with accents): a typical Latin width.
        _ => 0.6,
    }
}

/// Escapes text for an SVG text node or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `#rrggbb` of a colour.
pub fn hex(color: BackendColor) -> String {
    let (r, g, b) = color.rgb;
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Opacity attributes, omitted when opaque so that the SVG stays short.
fn opacity(name: &str, color: BackendColor) -> String {
    if color.alpha >= 1.0 {
        String::new()
    } else {
        format!(" {name}=\"{:.3}\"", color.alpha)
    }
}

/// The fill and stroke attributes of a shape: filled with `color`, or outlined with it
/// `stroke_width` px wide.
fn paint(color: BackendColor, fill: bool, stroke_width: u32) -> String {
    if fill {
        format!("fill=\"{}\"{}", hex(color), opacity("fill-opacity", color))
    } else {
        format!(
            "fill=\"none\" stroke=\"{}\"{} stroke-width=\"{stroke_width}\"",
            hex(color),
            opacity("stroke-opacity", color),
        )
    }
}

/// Coordinates as an SVG `points` list: `x,y` pairs separated by spaces.
fn point_list(coords: impl IntoIterator<Item = BackendCoord>) -> String {
    let points: Vec<String> = coords
        .into_iter()
        .map(|(x, y)| format!("{x},{y}"))
        .collect();
    points.join(" ")
}

impl DrawingBackend for SvgBackend<'_> {
    type ErrorType = SvgError;

    fn get_size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<SvgError>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<SvgError>> {
        if !self.presented {
            self.out.clear();
            let _ = writeln!(
                self.out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT_FAMILY}\">",
                w = self.width,
                h = self.height,
            );
            self.out.push_str(&self.body);
            self.out.push_str("</svg>\n");
            self.presented = true;
        }
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        if color.alpha == 0.0 {
            return Ok(());
        }
        let _ = writeln!(
            self.body,
            "<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"1\" fill=\"{}\"{}/>",
            point.0,
            point.1,
            hex(color),
            opacity("fill-opacity", color)
        );
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let _ = writeln!(
            self.body,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"{} stroke-width=\"{}\"/>",
            from.0,
            from.1,
            to.0,
            to.1,
            hex(color),
            opacity("stroke-opacity", color),
            style.stroke_width()
        );
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (x0, x1) = (
            upper_left.0.min(bottom_right.0),
            upper_left.0.max(bottom_right.0),
        );
        let (y0, y1) = (
            upper_left.1.min(bottom_right.1),
            upper_left.1.max(bottom_right.1),
        );
        let paint = paint(color, fill, style.stroke_width());
        let _ = writeln!(
            self.body,
            "<rect x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" {paint}/>",
            x1 - x0,
            y1 - y0
        );
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let points = point_list(path);
        let _ = writeln!(
            self.body,
            "<polyline fill=\"none\" stroke=\"{}\"{} stroke-width=\"{}\" stroke-linejoin=\"round\" points=\"{}\"/>",
            hex(color),
            opacity("stroke-opacity", color),
            style.stroke_width(),
            points
        );
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let paint = paint(color, fill, style.stroke_width());
        let _ = writeln!(
            self.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{radius}\" {paint}/>",
            center.0, center.1
        );
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let points = point_list(vert);
        let _ = writeln!(
            self.body,
            "<polygon points=\"{}\" fill=\"{}\"{}/>",
            points,
            hex(color),
            opacity("fill-opacity", color)
        );
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size();
        let anchor = match style.anchor().h_pos {
            HPos::Left => "start",
            HPos::Center => "middle",
            HPos::Right => "end",
        };
        // Baseline offsets in px rather than `dominant-baseline`, which renderers
        // (resvg, older browsers) treat differently: the glyph box is taken as 0.88 em
        // above the baseline and 0.12 em below.
        let dy = match style.anchor().v_pos {
            VPos::Top => size * 0.88,
            VPos::Center => size * 0.38,
            VPos::Bottom => -size * 0.12,
        };
        let (x, y) = pos;
        let rotate = match style.transform() {
            FontTransform::None => String::new(),
            FontTransform::Rotate90 => format!(" transform=\"rotate(90 {x} {y})\""),
            FontTransform::Rotate180 => format!(" transform=\"rotate(180 {x} {y})\""),
            FontTransform::Rotate270 => format!(" transform=\"rotate(270 {x} {y})\""),
        };
        let weight = match style.style() {
            FontStyle::Bold => " font-weight=\"bold\"",
            FontStyle::Italic | FontStyle::Oblique => " font-style=\"italic\"",
            FontStyle::Normal => "",
        };
        let _ = writeln!(
            self.body,
            "<text x=\"{x}\" y=\"{:.1}\" font-size=\"{size:.1}\" text-anchor=\"{anchor}\" fill=\"{}\"{}{weight}{rotate}>{}</text>",
            f64::from(y) + dy,
            hex(color),
            opacity("fill-opacity", color),
            escape(text)
        );
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<SvgError>> {
        let size = style.size();
        let width = (text_width_em(text) * size).ceil() as u32;
        let height = size.ceil() as u32;
        // Unrotated, as plotters' own estimate is: the chart code applies the rotation.
        Ok((width, height))
    }

    fn blit_bitmap(
        &mut self,
        _pos: BackendCoord,
        _size: (u32, u32),
        _src: &[u8],
    ) -> Result<(), DrawingErrorKind<SvgError>> {
        // No chart draws bitmaps; ignoring one is better than failing the chart.
        Ok(())
    }
}

impl Drop for SvgBackend<'_> {
    fn drop(&mut self) {
        let _ = self.present();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_fixed_per_glyph() {
        assert_eq!(text_width_em("噶尔县"), 3.0);
        assert!((text_width_em("Gar") - (0.778 + 0.556 + 0.333)).abs() < 1e-12);
        assert!(text_width_em("iiii") < text_width_em("MMMM"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
