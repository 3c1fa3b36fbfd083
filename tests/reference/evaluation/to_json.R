# JSON writer shared by the R scripts of this folder (jsonlite may be missing): named lists
# become objects, vectors arrays, numbers are written with 17 significant digits.
to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent)
  if (is.list(x)) {
    nm <- names(x)
    if (!is.null(nm)) {
      items <- vapply(seq_along(x), function(i) paste0(pad, "  \"", nm[i], "\": ", to_json(x[[i]], indent + 2)), "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", pad, "}"))
    }
    return(paste0("[", paste(vapply(x, to_json, "", indent = indent + 2), collapse = ", "), "]"))
  }
  if (is.character(x)) { if (length(x) == 1) return(paste0("\"", x, "\"")); return(paste0("[", paste0("\"", x, "\"", collapse = ", "), "]")) }
  v <- formatC(as.numeric(x), digits = 17, format = "g")
  if (length(x) == 1 && is.null(names(x))) return(v)
  if (!is.null(names(x))) return(to_json(as.list(x), indent))
  paste0("[", paste(v, collapse = ", "), "]")
}
