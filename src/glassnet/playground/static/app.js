// placeholder until the page (branch p2) lands: the API is in docs (playground API)
"use strict";
