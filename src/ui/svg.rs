//! A rendered buffer as SVG: monospace text with each cell's colours, so
//! screenshots come from the same buffer the tests snapshot.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const FONT_SIZE: f64 = 14.0;

/// `default_fg`/`default_bg` stand in for `Color::Reset`.
pub fn buffer_to_svg(buf: &Buffer, default_fg: Color, default_bg: Color) -> String {
    let area = buf.area;
    let (w, h) = (
        f64::from(area.width) * CELL_W,
        f64::from(area.height) * CELL_H,
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        hex(default_bg, default_bg)
    );
    let _ = writeln!(
        out,
        r#"<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT_SIZE}">"#
    );
    for y in 0..area.height {
        let top = f64::from(y) * CELL_H;
        // Background runs.
        let mut x = 0;
        while x < area.width {
            let bg = buf[(x, y)].bg;
            let start = x;
            while x < area.width && buf[(x, y)].bg == bg {
                x += 1;
            }
            if bg != Color::Reset && bg != default_bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{CELL_H}" fill="{}"/>"#,
                    f64::from(start) * CELL_W,
                    f64::from(x - start) * CELL_W,
                    hex(bg, default_bg)
                );
            }
        }
        // Text runs of one foreground and weight; blanks end a run so spacing stays exact.
        let mut x = 0;
        while x < area.width {
            let cell = &buf[(x, y)];
            if cell.symbol().trim().is_empty() {
                x += 1;
                continue;
            }
            let (fg, bold) = (cell.fg, cell.modifier.contains(Modifier::BOLD));
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buf[(x, y)];
                if c.fg != fg || c.modifier.contains(Modifier::BOLD) != bold || c.symbol() == " " {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" fill="{}"{} textLength="{:.1}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                f64::from(start) * CELL_W,
                top + CELL_H * 0.78,
                hex(fg, default_fg),
                if bold { r#" font-weight="bold""# } else { "" },
                f64::from(x - start) * CELL_W,
                escape(&text)
            );
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A colour as `#rrggbb`, with the xterm palette for named colours.
fn hex(c: Color, reset: Color) -> String {
    let (r, g, b) = match c {
        Color::Reset => {
            return if reset == Color::Reset {
                "#000000".into()
            } else {
                hex(reset, Color::Reset)
            };
        }
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Black => (0, 0, 0),
        Color::Red => (205, 49, 49),
        Color::Green => (13, 188, 121),
        Color::Yellow => (229, 229, 16),
        Color::Blue => (36, 114, 200),
        Color::Magenta => (188, 63, 188),
        Color::Cyan => (17, 168, 205),
        Color::Gray => (204, 204, 204),
        Color::DarkGray => (118, 118, 118),
        Color::LightRed => (241, 76, 76),
        Color::LightGreen => (35, 209, 139),
        Color::LightYellow => (245, 245, 67),
        Color::LightBlue => (59, 142, 234),
        Color::LightMagenta => (214, 112, 214),
        Color::LightCyan => (41, 184, 219),
        Color::White => (255, 255, 255),
        Color::Indexed(i) => indexed(i),
    };
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The xterm 256-colour cube and grey ramp.
fn indexed(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => (128, 128, 128),
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            (g, g, g)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_become_rects_and_escaped_text() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(
            0,
            0,
            "a<b",
            Style::default()
                .fg(Color::Rgb(255, 0, 0))
                .bg(Color::Rgb(0, 0, 255)),
        );
        let svg = buffer_to_svg(&buf, Color::White, Color::Black);
        assert!(svg.contains(r##"fill="#0000ff""##), "{svg}");
        assert!(svg.contains(">a&lt;b</text>"), "{svg}");
        assert!(svg.contains(r##"fill="#ff0000""##), "{svg}");
    }
}
