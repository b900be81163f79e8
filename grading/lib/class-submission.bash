# class-submission.bash - turns one entry of a class (a folder, a .zip, a
# .tar.gz) into a folder grading/grade can grade: unpacks archives safely
# and finds the stage folders, wherever the student put them.  Used by
# grading/grade-class and grading/autograder/run_autograder.
#
# Everything here reads untrusted names: file names may hold spaces,
# newlines or leading dashes, archives may hold "..", absolute paths,
# links pointing out, or unpack to gigabytes.  An unsafe archive is
# refused with a reason; nothing of it is unpacked outside its folder.
#
# The caller sets kit_root.

# Limits on what one student hands in, unpacked.
MAX_UNPACKED_BYTES=$((50 * 1024 * 1024))
MAX_UNPACKED_FILES=10000
# How deep below the entry stage folders are looked for (labs/, a
# Moodle folder named after the student, a Git repository ...).
MAX_STAGE_DEPTH=5
# Seconds to list, unpack or search one entry.
ENTRY_TIME_LIMIT=60

# The stages, in order, as grading/rubric names them.
list_kit_stages() {
	awk -F'\t' '!/^#/ && NF == 3 && !seen[$1]++ { print $1 }' "$kit_root/grading/rubric"
}

# kind_of_entry PATH: folder, zip, tar.gz, or other.
kind_of_entry() {
	if [ -d "$1" ] && [ ! -L "$1" ]; then
		echo folder
		return
	fi
	if [ -f "$1" ] && [ ! -L "$1" ]; then
		case $1 in
		*.zip | *.ZIP) echo zip; return ;;
		*.tar.gz | *.tgz | *.TAR.GZ | *.TGZ) echo tar.gz; return ;;
		esac
	fi
	echo other
}

# student_name_of PATH: the entry's name without its archive extension,
# with control characters (newlines, tabs) turned into "_" so that the
# name can be a file name and a CSV field.
student_name_of() {
	local name
	name=$(basename -- "$1"; echo x)      # x keeps a trailing newline of the name
	name=${name%$'\n'x}
	case $name in
	*.tar.gz | *.TAR.GZ) name=${name%.???.??} ;;
	*.tgz | *.TGZ | *.zip | *.ZIP) name=${name%.???} ;;
	esac
	printf '%s' "$name" | tr '\000-\037\177' '_'
}

# AWK_NAME_CHECKS: awk functions judging archive member names.  A name
# with a ".." part, or starting at "/", is refused; a link's target must
# not climb out of the archive, joined to the link's folder.  Backslashes
# count as separators too: some zip tools write them.
AWK_NAME_CHECKS='
function climbs(path) { return path ~ /(^|[\/\\])\.\.([\/\\]|$)/ }
function absolute(path) { return path ~ /^[\/\\]/ }
function escapes(path,    n, part, i, depth) {
	if (absolute(path)) return 1
	n = split(path, part, /[\/\\]/)
	depth = 0
	for (i = 1; i <= n; i++) {
		if (part[i] == "" || part[i] == ".") continue
		if (part[i] == "..") { if (--depth < 0) return 1 } else depth++
	}
	return 0
}
function folder_of(path) { sub(/\/*[^\/]*\/*$/, "", path); return path }
'

# check_zip_listing ARCHIVE: prints why the zip cannot be unpacked safely,
# "empty" for an empty zip, or nothing.  Sizes and counts come from the
# zip's directory; unpack_entry bounds the real ones too.
check_zip_listing() {
	local archive=$1 names totals files bytes reason
	if ! names=$(timeout "$ENTRY_TIME_LIMIT" unzip -Z1 -- "$archive" 2>&1); then
		case $names in
		*"Empty zipfile"*) echo empty ;;
		*) echo "not a readable zip archive" ;;
		esac
		return
	fi
	reason=$(awk "$AWK_NAME_CHECKS"'
		absolute($0) { print "the archive holds an absolute path"; exit }
		climbs($0) { print "the archive holds a path with \"..\""; exit }' <<<"$names")
	if [ -n "$reason" ]; then
		echo "$reason"
		return
	fi
	totals=$(timeout "$ENTRY_TIME_LIMIT" unzip -Zt -- "$archive" 2>/dev/null | tail -n 1)
	files=$(sed -n 's/^\([0-9]*\) files\{0,1\}, \([0-9]*\) bytes uncompressed.*/\1/p' <<<"$totals")
	bytes=$(sed -n 's/^\([0-9]*\) files\{0,1\}, \([0-9]*\) bytes uncompressed.*/\2/p' <<<"$totals")
	if [ -z "$files" ] || [ -z "$bytes" ]; then
		echo "not a readable zip archive (no totals in its directory)"
	elif [ "$files" -gt "$MAX_UNPACKED_FILES" ]; then
		echo "more than $MAX_UNPACKED_FILES files unpacked ($files)"
	elif [ "$bytes" -gt "$MAX_UNPACKED_BYTES" ]; then
		echo "more than 50 MiB unpacked ($bytes bytes)"
	fi
}

# check_tar_listing ARCHIVE: the same for a .tar.gz.  Listing decompresses
# it all, so a bomb is stopped by the time bound.
check_tar_listing() {
	local archive=$1 listing status=0
	listing=$(timeout "$ENTRY_TIME_LIMIT" tar -tvzf "$archive" --absolute-names --quoting-style=escape 2>/dev/null) ||
		status=$?
	if [ "$status" -eq 124 ]; then
		echo "could not be listed within $ENTRY_TIME_LIMIT s (more than 50 MiB unpacked?)"
		return
	elif [ "$status" -ne 0 ]; then
		echo "not a readable .tar.gz archive"
		return
	elif [ -z "$listing" ]; then
		echo empty
		return
	fi
	# One member a line: "MODE OWNER SIZE DATE TIME NAME[ -> TARGET | link to TARGET]".
	awk -v max_files="$MAX_UNPACKED_FILES" -v max_bytes="$MAX_UNPACKED_BYTES" "$AWK_NAME_CHECKS"'
	function refuse(reason) { print reason; refused = 1; exit }
	{
		type = substr($1, 1, 1)
		bytes += $3
		files++
		line = $0
		sub(/^[^ ]+ +[^ ]+ +[0-9]+ +[^ ]+ +[^ ]+ /, "", line)
		name = line; target = ""
		if (type == "l") { split_at = index(line, " -> "); name = substr(line, 1, split_at - 1); target = substr(line, split_at + 4) }
		if (type == "h") { split_at = index(line, " link to "); name = substr(line, 1, split_at - 1); target = substr(line, split_at + 9) }
		if (absolute(name)) refuse("the archive holds an absolute path")
		if (climbs(name)) refuse("the archive holds a path with \"..\"")
		if (type == "l" && (absolute(target) || escapes((folder_of(name) == "" ? "" : folder_of(name) "/") target)))
			refuse("the archive holds a link pointing outside it")
		if (type == "h" && escapes(target)) refuse("the archive holds a link pointing outside it")
		if (type != "-" && type != "d" && type != "l" && type != "h")
			refuse("the archive holds a device, pipe or socket")
	}
	END {
		if (refused) exit
		if (files > max_files) print "more than " max_files " files unpacked"
		else if (bytes > max_bytes) print "more than 50 MiB unpacked (" bytes " bytes)"
	}' <<<"$listing"
}

# check_unpacked FOLDER PATH...: what was unpacked (or handed in as a
# folder) holds no link leading outside FOLDER, no device, pipe or socket,
# and stays within the limits.  PATH... are what to check (default all).
# Prints the reason, or nothing.
check_unpacked() {
	local root=$1 files bytes link target
	shift
	[ $# -gt 0 ] || set -- "$root"
	root=$(realpath -- "$root")
	files=$(timeout "$ENTRY_TIME_LIMIT" find "$@" -printf x 2>/dev/null | wc -c)
	if [ "$files" -gt "$MAX_UNPACKED_FILES" ]; then
		echo "more than $MAX_UNPACKED_FILES files unpacked ($files)"
		return
	fi
	bytes=$(timeout "$ENTRY_TIME_LIMIT" du -scb -- "$@" 2>/dev/null | tail -n 1 | cut -f1)
	if [ "${bytes:-0}" -gt "$MAX_UNPACKED_BYTES" ]; then
		echo "more than 50 MiB unpacked ($bytes bytes)"
		return
	fi
	if [ -n "$(find "$@" ! -type f ! -type d ! -type l -print -quit 2>/dev/null)" ]; then
		echo "it holds a device, pipe or socket"
		return
	fi
	while IFS= read -r -d '' link; do
		target=$(realpath -m -- "$link")
		case $target in
		"$root" | "$root"/*) ;;
		*) echo "it holds a link pointing outside it"; return ;;
		esac
	done < <(find "$@" -type l -print0 2>/dev/null)
}

# unpack_entry ARCHIVE KIND FOLDER: unpacks ARCHIVE (zip or tar.gz) into
# the empty FOLDER, after checking its listing and before checking what
# came out.  Prints why it was refused ("empty" for an empty archive), or
# nothing.  Files are bounded by RLIMIT_FSIZE, the whole by time.
unpack_entry() {
	local archive=$1 kind=$2 folder=$3 reason
	case $kind in
	zip) reason=$(check_zip_listing "$archive") ;;
	tar.gz) reason=$(check_tar_listing "$archive") ;;
	*) reason="not a folder, a .zip or a .tar.gz" ;;
	esac
	if [ -n "$reason" ]; then
		echo "$reason"
		return
	fi
	# unzip creates symbolic links last, so none is followed while unpacking.
	case $kind in
	zip) prlimit --fsize="$MAX_UNPACKED_BYTES" --core=0 timeout "$ENTRY_TIME_LIMIT" \
		unzip -qq -n -- "$archive" -d "$folder" >/dev/null 2>&1 ;;
	tar.gz) prlimit --fsize="$MAX_UNPACKED_BYTES" --core=0 timeout "$ENTRY_TIME_LIMIT" \
		tar -xzf "$archive" -C "$folder" --no-same-owner --no-same-permissions \
		--no-overwrite-dir >/dev/null 2>&1 ;;
	esac || {
		echo "could not be unpacked (damaged, or more than 50 MiB)"
		return
	}
	chmod -R u+rwX,go+rX,go-w -- "$folder" 2>/dev/null || true
	check_unpacked "$folder"
}

# find_stage_root FOLDER: prints the folder below FOLDER (FOLDER itself
# included) that holds the most stage folders (01-sequential/, ...):
# the shallowest, then the first by name, on a tie.  Folders of macOS
# zips (__MACOSX) and of Git (.git) are not searched.  Prints nothing if
# there is no stage folder.
find_stage_root() {
	local folder=$1 stage names=()
	for stage in $(list_kit_stages); do
		names+=(-o -name "$stage")
	done
	timeout "$ENTRY_TIME_LIMIT" find "$folder" -maxdepth "$MAX_STAGE_DEPTH" \
		\( -name __MACOSX -o -name .git \) -prune -o \
		-type d \( "${names[@]:1}" \) -printf '%h\0' 2>/dev/null |
		awk 'BEGIN { RS = "\0" }
		{ count[$0]++ }
		END {
			for (root in count) {
				depth = gsub(/\//, "/", root)
				key = sprintf("%06d\t%06d\t%s", 999999 - count[root], depth, root)
				if (best == "" || key < best) { best = key; best_root = root }
			}
			if (best != "") printf "%s", best_root
		}'
}

# stage_paths_in ROOT: the stage names that exist in ROOT (folders or
# links), as paths, NUL-separated: what grading/grade will read.
stage_paths_in() {
	local stage
	for stage in $(list_kit_stages); do
		[ ! -e "$1/$stage" ] && [ ! -L "$1/$stage" ] || printf '%s\0' "$1/$stage"
	done
}

# prepare_entry ENTRY SCRATCH: makes ENTRY gradable.  Sets entry_status
# (ready, not submitted, refused) and entry_reason, and entry_root, the
# folder holding the stage folders (inside ENTRY, or inside SCRATCH for
# an archive).
prepare_entry() {
	local entry=$1 scratch=$2 kind reason paths=() root
	entry_status=ready entry_reason= entry_root=
	kind=$(kind_of_entry "$entry")
	case $kind in
	folder) root=$entry ;;
	zip | tar.gz)
		mkdir -p "$scratch/unpacked"
		reason=$(unpack_entry "$entry" "$kind" "$scratch/unpacked")
		if [ "$reason" = empty ]; then
			entry_status="not submitted" entry_reason="the archive is empty"
			return
		elif [ -n "$reason" ]; then
			entry_status=refused entry_reason=$reason
			return
		fi
		root=$scratch/unpacked ;;
	*)
		entry_status=refused entry_reason="not a folder, a .zip or a .tar.gz"
		return ;;
	esac
	entry_root=$(find_stage_root "$root")
	if [ -z "$entry_root" ]; then
		entry_status="not submitted"
		entry_reason="no stage folder ($(list_kit_stages | head -n 1)/, ...) found"
		return
	fi
	# For a folder, check what grade will read: the stage folders.
	if [ "$kind" = folder ]; then
		mapfile -t -d '' paths < <(stage_paths_in "$entry_root")
		reason=$(check_unpacked "$entry" "${paths[@]}")
		if [ -n "$reason" ]; then
			entry_status=refused entry_reason=$reason
			return
		fi
	fi
}
