/**
 * Phone-width layout (down to 375 px): nothing may make the page wider than the
 * screen. Wide tables scroll sideways inside themselves (one line per row,
 * easier to read than cells broken mid-word), long ids wrap, fields and
 * definition lists stack. Appended to the layout's one <style> (its hash is in the CSP).
 */
export const PHONE_CSS = `
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
@media (max-width:40rem){
main{padding:.75rem .75rem 2rem}
header nav{gap:.4rem .75rem;padding:.5rem .75rem}
header .who{margin-left:0;flex-basis:100%}
h1{font-size:1.35rem;overflow-wrap:anywhere}
table{display:block;overflow-x:auto;max-width:100%}
th,td{white-space:nowrap}
dd,dd code,.flash,.alert,.field-error{overflow-wrap:anywhere}
section.card,form.card,details.card{padding:.75rem}
.inline-fields .field{min-width:0;flex-basis:100%}
dl.facts{grid-template-columns:1fr;gap:0}
dl.facts dd{margin-bottom:.5rem}
.copy-row{flex-wrap:wrap}
.copy-row input{min-width:0}
}
`;
