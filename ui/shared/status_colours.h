// Colours that carry a meaning (good, warning, bad; a gap row) chosen for
// the palette in use: Qt 6.4 has no palette roles for them, and one fixed
// red is unreadable on either the light or the dark theme, so the lightness
// follows the window colour (contrast above 4.5 on typical windows).
#pragma once

#include <QColor>
#include <QPalette>

namespace etcdscope::ui {

enum class StatusTone { Good, Warning, Bad };

// Text in `tone` on `palette`'s window or base.
QColor statusColour(StatusTone tone, const QPalette& palette);
// A faint background in `tone` that keeps the palette's text readable.
QColor statusBackground(StatusTone tone, const QPalette& palette);

}  // namespace etcdscope::ui
