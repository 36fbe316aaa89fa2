// Safe Markdown (CommonMark, via cmark) for campaign letters. Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace undersigned::render {

// Renders CommonMark to HTML safely: raw HTML blocks and inline HTML are dropped (cmark writes
// an HTML comment in their place), links and images with javascript:, vbscript:, file: or
// (non-image) data: URLs lose their URL, and invalid UTF-8 is replaced by U+FFFD.
// With top_heading_level > 0, headings are shifted so the document's highest heading gets that
// level (capped at 6), keeping the page's outline in order: a letter shown under the page's
// <h1> and a section <h2> passes 3, and its "# Title" or "## Part" becomes <h3>.
std::string RenderMarkdown(std::string_view md, int top_heading_level = 0);

}  // namespace undersigned::render
