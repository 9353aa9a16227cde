//! PNG for the server: the chart's SVG rasterized by resvg (pure Rust), with a CJK font
//! the caller supplies as bytes.
//!
//! The crate does no I/O, so it does not look for system fonts: the server reads a font
//! file once at start-up (e.g. Debian's `fonts-wqy-microhei`, installed by
//! `scripts/setup.sh`) and passes its bytes. Every text element then renders with that
//! font, whatever family list the SVG names, so Chinese never comes out as tofu.

use super::ChartError;
use resvg::{tiny_skia, usvg};

/// Renders `svg` to PNG bytes at `scale` (1 = the SVG's pixel size), with `font` (the
/// bytes of a TTF, OTF or TTC file that covers Chinese) for all text.
pub fn svg_to_png(svg: &str, font: &[u8], scale: f32) -> Result<Vec<u8>, ChartError> {
    if !(scale.is_finite() && scale > 0.0 && scale <= 8.0) {
        return Err(ChartError(format!("scale {scale} must lie in (0, 8]")));
    }
    let mut options = usvg::Options::default();
    let fonts = options.fontdb_mut();
    fonts.load_font_data(font.to_vec());
    let family = fonts
        .faces()
        .next()
        .and_then(|face| face.families.first())
        .map(|(name, _)| name.clone())
        .ok_or_else(|| ChartError("the font bytes hold no usable font face".to_owned()))?;
    // Whatever the SVG asks for falls back to the supplied face.
    fonts.set_sans_serif_family(family.clone());
    fonts.set_serif_family(family.clone());
    fonts.set_monospace_family(family);
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| ChartError(format!("chart SVG did not parse: {e}")))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| ChartError("chart is too large to rasterize".to_owned()))?;
    // A chart of 4000×4000 px at scale 2 is already 64 M pixels; refuse beyond that
    // rather than try to allocate gigabytes.
    if u64::from(size.width()) * u64::from(size.height()) > 64_000_000 {
        return Err(ChartError(format!(
            "{}×{} px is too large to rasterize",
            size.width(),
            size.height()
        )));
    }
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| ChartError("chart has no area".to_owned()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ChartError(format!("PNG encoding failed: {e}")))
}
