// ESLint for our own browser scripts in static/js (pinned in package.json's devDependencies):
//     node_modules/.bin/eslint static/js      (tests/test_assets.py runs it)
const js = require('@eslint/js');

module.exports = [
    js.configs.recommended,
    {
        files: ['static/js/**/*.js'],
        languageOptions: {
            ecmaVersion: 2020,
            sourceType: 'script',
            globals: {L: 'readonly', window: 'readonly', document: 'readonly', fetch: 'readonly', atob: 'readonly',
                      console: 'readonly', navigator: 'readonly',
                      MutationObserver: 'readonly'}
        },
        rules: {eqeqeq: 'error', 'no-implicit-globals': 'error', strict: ['error', 'function']}
    }
];
