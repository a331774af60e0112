#include "shared/status_colours.h"

#include <array>

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

const std::array<QColor, 6> kSeriesColours = {
    QColor(0x4e, 0x79, 0xa7),  // blue
    QColor(0x59, 0xa1, 0x4f),  // green
    QColor(0x76, 0xb7, 0xb2),  // teal
    QColor(0xc4, 0x9a, 0x00),  // gold
    QColor(0xff, 0x9d, 0xa7),  // pink
    QColor(0x9c, 0x75, 0x5f),  // brown
};

}  // namespace

bool isDarkPalette(const QPalette& palette)
{
    return palette.color(QPalette::Window).lightnessF() < kDarkWindowLightness;
}

bool isPaletteChange(const QEvent* event)
{
    return event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange;
}

QColor seriesColour(std::size_t index) { return kSeriesColours[index % kSeriesColours.size()]; }

QColor statusColour(StatusTone tone, const QPalette& palette)
{
    return QColor::fromHslF(hueOf(tone), kSaturation, isDarkPalette(palette) ? kTextLightnessOnDark : kTextLightnessOnLight);
}

QColor statusBackground(StatusTone tone, const QPalette& palette)
{
    // Translucent over the view's base: the palette's text stays readable.
    QColor colour = statusColour(tone, palette);
    colour.setAlphaF(kBackgroundAlpha);
    return colour;
}

}  // namespace etcdscope::ui
