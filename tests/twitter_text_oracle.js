// Reads a JSON array of texts on stdin; writes, per text, what npm twitter-text says: the URLs it
// extracts with code-point indices (Python's), the weighted length with emoji parsing off, and
// whether the whole text is a valid URL (isValidUrl with and without a required protocol).
// Driven by tests/twitter_text_oracle.py.
const twitterText = require("twitter-text");

const noEmoji = Object.assign({}, twitterText.configs.version3, { emojiParsingEnabled: false });

// UTF-16 offset -> code-point offset, for every offset of `text`.
function codePointOffsets(text) {
  const offsets = new Array(text.length + 1);
  let points = 0;
  for (let i = 0; i <= text.length; i++) {
    offsets[i] = points;
    const unit = text.charCodeAt(i);
    const pairStart = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length;
    if (!pairStart) points++;
  }
  return offsets;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const answers = JSON.parse(input).map((text) => {
    const offsets = codePointOffsets(text);
    const urls = twitterText.extractUrlsWithIndices(text).map((u) => [u.url, offsets[u.indices[0]], offsets[u.indices[1]]]);
    const valid = [twitterText.isValidUrl(text), twitterText.isValidUrl(text, true, false)];
    return { urls, weighted: twitterText.parseTweet(text, noEmoji).weightedLength, valid };
  });
  process.stdout.write(JSON.stringify(answers));
});
