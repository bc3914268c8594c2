// Boost.JSON compiled into codeyard-pod itself (header-only mode): one shared library less
// to load and relocate on every pod start.
#include <boost/json/src.hpp>
