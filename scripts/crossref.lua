--[[
Quarto-style cross-references for the offline renderer (Quarto does this itself when it is installed).

Numbers figures (`#fig-*`), tables (`#tbl-*`) and sections, and turns `@fig-x`, `@tbl-x`, `@sec-x` into
"Figure 1", "Table 2", "Section 3.1". For HTML the numbers are written into captions and links; for
Typst the labels are handed to Typst, which numbers and links them itself. An unknown key stops the
render: a dangling reference must never reach a reader. Runs before citeproc, so what is left as a
citation is a bibliography key.
]]

local PREFIXES = { fig = "Figure", tbl = "Table", sec = "Section" }
local numbers = {}
local is_typst = FORMAT:match("typst") ~= nil

local function kind_of(id)
  return id and id:match("^(%a+)%-") or nil
end

-- Quarto's offline output wraps a labelled table in a Div; give the id to the table itself.
local function unwrap_table_divs(doc)
  return doc:walk({
    Div = function(div)
      if kind_of(div.identifier) == "tbl" and #div.content == 1 and div.content[1].t == "Table" then
        local tbl = div.content[1]
        tbl.identifier = div.identifier
        return tbl
      end
    end,
  })
end

local function section_numbers(doc)
  local counters = { 0, 0, 0, 0, 0, 0 }
  for _, block in ipairs(doc.blocks) do
    if block.t == "Header" and not block.classes:includes("unnumbered") then
      counters[block.level] = counters[block.level] + 1
      for level = block.level + 1, #counters do counters[level] = 0 end
      local parts = {}
      for level = 1, block.level do parts[#parts + 1] = tostring(counters[level]) end
      if block.identifier ~= "" then numbers[block.identifier] = table.concat(parts, ".") end
    end
  end
end

-- Quarto's `fig-alt` becomes the image's alternative text (Pandoc would use the caption).
local function apply_alt_text(doc)
  return doc:walk({
    Image = function(img)
      local alt = img.attributes["fig-alt"]
      if alt then
        img.attributes["fig-alt"] = nil
        img.caption = pandoc.Inlines({ pandoc.Str(alt) })
        return img
      end
    end,
  })
end

local function number_floats(doc)
  local count = { fig = 0, tbl = 0 }
  -- A Figure with a `fig-` id or a Table with a `tbl-` id gets the next number of its kind.
  local function number(float, kind)
    if kind_of(float.identifier) ~= kind then return nil end
    count[kind] = count[kind] + 1
    numbers[float.identifier] = tostring(count[kind])
    if not is_typst then
      local label = PREFIXES[kind] .. " " .. count[kind] .. ":"
      local prefix = pandoc.Inlines({ pandoc.Strong({ pandoc.Str(label) }), pandoc.Space() })
      local caption = float.caption.long[1] and float.caption.long[1].content or pandoc.Inlines({})
      float.caption.long = { pandoc.Plain(prefix .. caption) }
    end
    return float
  end
  return doc:walk({
    Figure = function(fig) return number(fig, "fig") end,
    Table = function(tbl) return number(tbl, "tbl") end,
  })
end

local function reference(id)
  local kind = kind_of(id)
  if numbers[id] == nil then
    error("unresolved cross-reference @" .. id .. ": no figure, table or section has this label")
  end
  if is_typst then
    return pandoc.RawInline("typst", "@" .. id)
  end
  return pandoc.Link(PREFIXES[kind] .. "\u{a0}" .. numbers[id], "#" .. id)
end

-- `@fig-a [@key]` reaches the filter as one Cite; split it into the reference and a real citation.
local function resolve_references(doc)
  return doc:walk({
    Cite = function(cite)
      local inlines, rest = pandoc.Inlines({}), pandoc.List({})
      for _, citation in ipairs(cite.citations) do
        if PREFIXES[kind_of(citation.id)] then
          if #inlines > 0 then inlines:insert(pandoc.Str(",")); inlines:insert(pandoc.Space()) end
          inlines:insert(reference(citation.id))
        else
          rest:insert(citation)
        end
      end
      if #inlines == 0 then return nil end
      if #rest > 0 then
        for _, citation in ipairs(rest) do citation.mode = "NormalCitation" end
        inlines:insert(pandoc.Space())
        inlines:insert(pandoc.Cite(pandoc.Inlines({}), rest))
      end
      return inlines
    end,
  })
end

function Pandoc(doc)
  doc = apply_alt_text(unwrap_table_divs(doc))
  section_numbers(doc)
  doc = number_floats(doc)
  return resolve_references(doc)
end
