import {load} from "../../lib/load.js";

await load("launches");
