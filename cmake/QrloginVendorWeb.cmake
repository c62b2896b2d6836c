# Script mode: copies the pages' npm dependencies (pinned by package-lock.json,
# installed by `npm ci`, which scripts/install-deps runs) from node_modules
# into OUTPUT_DIR, which the application embeds under /vendor/. FILES are
# served as /vendor/<name>; TREES keep their path, /vendor/<package>/<path>,
# for packages whose modules import each other (@noble/curves, through the
# pages' import map). Nothing is committed minified: the bytes come from
# the registry through the lock file.
#   cmake -DNODE_MODULES=... -DOUTPUT_DIR=... -DFILES=pkg/path/a.js:pkg/b.mjs [-DTREES=@scope/pkg/a.js:...]
#         -P QrloginVendorWeb.cmake
string(REPLACE ":" ";" FILES "${FILES}")
string(REPLACE ":" ";" TREES "${TREES}")
set(missing "")
foreach(rel IN LISTS FILES TREES)
  if(NOT EXISTS "${NODE_MODULES}/${rel}")
    list(APPEND missing "${rel}")
  endif()
endforeach()
if(missing)
  list(JOIN missing ", " missing_text)
  message(FATAL_ERROR
    "qrlogin: the web pages need npm packages that are not installed (${missing_text} "
    "under ${NODE_MODULES}). Run scripts/install-deps (it runs `npm ci` with package-lock.json), "
    "or `npm ci` in the source tree, then build again.")
endif()
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
foreach(rel IN LISTS FILES)
  get_filename_component(name "${rel}" NAME)
  file(COPY_FILE "${NODE_MODULES}/${rel}" "${OUTPUT_DIR}/${name}" ONLY_IF_DIFFERENT)
endforeach()
foreach(rel IN LISTS TREES)
  get_filename_component(dir "${OUTPUT_DIR}/${rel}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  file(COPY_FILE "${NODE_MODULES}/${rel}" "${OUTPUT_DIR}/${rel}" ONLY_IF_DIFFERENT)
endforeach()
