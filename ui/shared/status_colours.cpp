#include "shared/status_colours.h"

namespace etcdscope::ui {

namespace {

constexpr float kDarkWindowLightness = 0.5f;
constexpr float kSaturation = 0.65f;
constexpr float kTextLightnessOnLight = 0.38f;
constexpr float kTextLightnessOnDark = 0.72f;
constexpr float kBackgroundAlpha = 0.3f;

float hueOf(StatusTone tone)
{
    switch (tone) {
    case StatusTone::Good: return 0.38f;     // green
    case StatusTone::Warning: return 0.10f;  // amber
    case StatusTone::Bad: return 0.0f;       // red
    }
    return 0.0f;
}

bool isDark(const QPalette& palette) { return palette.color(QPalette::Window).lightnessF() < kDarkWindowLightness; }

}  // namespace

QColor statusColour(StatusTone tone, const QPalette& palette)
{
    return QColor::fromHslF(hueOf(tone), kSaturation, isDark(palette) ? kTextLightnessOnDark : kTextLightnessOnLight);
}

QColor statusBackground(StatusTone tone, const QPalette& palette)
{
    // Translucent over the view's base: the palette's text stays readable.
    QColor colour = statusColour(tone, palette);
    colour.setAlphaF(kBackgroundAlpha);
    return colour;
}

}  // namespace etcdscope::ui
