// Colours that carry a meaning (good, warning, bad; a gap row) chosen for
// the palette in use: Qt 6.4 has no palette roles for them, and one fixed
// red is unreadable on either the light or the dark theme, so the lightness
// follows the window colour (contrast above 4.5 on typical windows).
#pragma once

#include <QColor>
#include <QEvent>
#include <QPalette>

#include <cstddef>

namespace etcdscope::ui {

enum class StatusTone { Good, Warning, Bad };

// Text in `tone` on `palette`'s window or base.
QColor statusColour(StatusTone tone, const QPalette& palette);
// A faint background in `tone` that keeps the palette's text readable.
QColor statusBackground(StatusTone tone, const QPalette& palette);

// Whether `palette` is a dark theme (its window colour is dark).
bool isDarkPalette(const QPalette& palette);
// Whether `event` changes the palette a widget paints with (its own or the
// application's): a widget with colours of its own then picks them again.
bool isPaletteChange(const QEvent* event);
// The colour of a chart's index-th data line: readable on the light and the
// dark theme, and apart from the status and marker colours (red, orange,
// purple), so a data line is never mistaken for a marker.
QColor seriesColour(std::size_t index);

}  // namespace etcdscope::ui
