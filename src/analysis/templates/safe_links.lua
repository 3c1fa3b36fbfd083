-- pandoc filter for the DOCX drafts: only the report's own figures and plain web links.
-- Images must be embedded PNGs (data:image/png;base64,...): a path or URL would make pandoc
-- read a local file or fetch a URL (also refused by --sandbox). Links keep their text; their
-- target is kept only for http, https and mailto, so no javascript:, file:, data: or
-- vbscript: target reaches Word.

local function safe_target(target)
  local t = target:gsub("[%s%c]", ""):lower()
  return t:match("^https?://") ~= nil or t:match("^mailto:") ~= nil
end

function Image(el)
  if el.src:match("^data:image/png;base64,") then
    return el
  end
  return pandoc.Str("[bild borttagen]")
end

function Link(el)
  if safe_target(el.target) then
    return el
  end
  return el.content
end
